// XDP for the VM/kernel differential tests of bpf_xdp_adjust_meta/head/tail: the packet's first 12 bytes hold the
// three deltas (little-endian s32: meta, head, tail); the return value packs the three helper results.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_adjust(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    if (data + 12 > data_end)
        return 0xffff;
    int meta = ((int *)data)[0], head = ((int *)data)[1], tail = ((int *)data)[2];
    long r1 = bpf_xdp_adjust_meta(ctx, meta);
    long r2 = bpf_xdp_adjust_head(ctx, head);
    long r3 = bpf_xdp_adjust_tail(ctx, tail);
    /* write a marker into the metadata when there is some */
    void *data_meta = (void *)(long)ctx->data_meta;
    data = (void *)(long)ctx->data;
    if (data_meta + 4 <= data)
        *(__u32 *)data_meta = 0xa5a5a5a5;
    return ((r1 & 0xff) << 16) | ((r2 & 0xff) << 8) | (r3 & 0xff);
}

char LICENSE[] SEC("license") = "GPL";
