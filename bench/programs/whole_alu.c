// Whole-path benchmark: a 32-bit and 64-bit ALU mix over the packet's bytes, folded into two ARRAY maps
// (32 lookups per run, a few of them out of range).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u64);
} acc64 SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 12);
    __type(key, __u32);
    __type(value, __u32);
} acc32 SEC(".maps");

SEC("xdp")
int whole_alu(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    if (data + 16 > data_end)
        return XDP_DROP;
    __u64 x = *(__u64 *)data;
    __u32 y = *(__u32 *)(data + 8);
#pragma clang loop unroll(full)
    for (__u32 i = 0; i < 16; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        x ^= x >> 29;
        __u32 k64 = i;
        __u64 *v = bpf_map_lookup_elem(&acc64, &k64);
        if (v)
            *v += x;
        y = (y << 5) + (y ^ (__u32)x) - i;
        y = y * 2654435761u;
        __u32 k32 = i;  /* 12..15 are out of range: the lookup returns NULL */
        __u32 *w = bpf_map_lookup_elem(&acc32, &k32);
        if (w)
            *w ^= y;
    }
    return (x ^ y) & 1 ? XDP_PASS : XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
