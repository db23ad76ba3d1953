// Tail calls through a PROG_ARRAY initialised with .values: the entry program dispatches on the
// first byte of the packet (0 -> stage_pass, 1 -> stage_drop, 2 -> stage_chain which tail-calls
// again); an empty slot falls through. A hash counts which stage ran.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, __u64);
} stage_hits SEC(".maps");

static __always_inline void hit(__u32 stage)
{
    __u64 one = 1, *n = bpf_map_lookup_elem(&stage_hits, &stage);
    if (n)
        __sync_fetch_and_add(n, 1);
    else
        bpf_map_update_elem(&stage_hits, &stage, &one, BPF_NOEXIST);
}

int stage_pass(struct xdp_md *ctx);
int stage_drop(struct xdp_md *ctx);
int stage_chain(struct xdp_md *ctx);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __array(values, int(struct xdp_md *));
} jump_table SEC(".maps") = {
    .values = {
        [0] = (void *)&stage_pass,
        [1] = (void *)&stage_drop,
        [2] = (void *)&stage_chain,
    },
};

SEC("xdp")
int stage_pass(struct xdp_md *ctx)
{
    hit(10);
    return XDP_PASS;
}

SEC("xdp")
int stage_drop(struct xdp_md *ctx)
{
    hit(11);
    return XDP_DROP;
}

SEC("xdp")
int stage_chain(struct xdp_md *ctx)
{
    hit(12);
    bpf_tail_call(ctx, &jump_table, 1);
    return XDP_ABORTED;
}

SEC("xdp")
int tail_entry(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    if (data + 1 > data_end)
        return XDP_ABORTED;
    __u32 slot = *(__u8 *)data;
    hit(slot);
    bpf_tail_call(ctx, &jump_table, slot);
    return XDP_TX; // empty or out-of-range slot
}

char LICENSE[] SEC("license") = "GPL";
