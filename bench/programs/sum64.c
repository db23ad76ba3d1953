// Benchmark program: sum the first 64 bytes of the packet, one byte at a time.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int sum64(struct xdp_md *ctx)
{
    __u8 *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    if ((void *)(data + 64) > data_end)
        return XDP_ABORTED;
    __u64 sum = 0;
#pragma clang loop unroll(disable)
    for (int i = 0; i < 64; i++)
        sum += data[i];
    return sum == 12345 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
