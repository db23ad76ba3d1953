// Kernel engine test: BTF-defined maps, global data (.data, .rodata, .bss), a subprogram and a tail call.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u64);
} hits SEC(".maps");

int calls = 100;
const volatile __u32 verdict = XDP_PASS;
__u64 seen_bytes;

static __attribute__((noinline)) __u64 add_hit(__u32 key)
{
    __u64 one = 1, *v = bpf_map_lookup_elem(&hits, &key);
    if (v) {
        __sync_fetch_and_add(v, 1);
        return *v;
    }
    bpf_map_update_elem(&hits, &key, &one, BPF_ANY);
    return 1;
}

SEC("xdp")
int tail_target(struct xdp_md *ctx)
{
    return XDP_TX;
}

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 4);
    __uint(key_size, sizeof(__u32));
    __array(values, int (void *));
} jumps SEC(".maps") = { .values = { [3] = (void *)&tail_target } };

SEC("xdp")
int count_packets(struct xdp_md *ctx)
{
    __u32 len = ctx->data_end - ctx->data;
    calls++;
    seen_bytes += len;
    add_hit(len);
    if (len == 99)
        bpf_tail_call(ctx, &jumps, 3);
    return verdict;
}

char LICENSE[] SEC("license") = "GPL";

SEC("socket")
int a_program_with_a_long_name(struct __sk_buff *skb)
{
    return 1;
}
