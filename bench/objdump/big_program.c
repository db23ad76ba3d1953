// A large BPF object for timing objdump: 64 programs, each an unrolled loop over a map value,
// plus branches (labels), helper calls and map relocations. About 25,000 instructions.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u64[64]);
} table SEC(".maps");

__u64 totals[64];

#define BODY(N)                                                                  \
SEC("xdp")                                                                       \
int prog_##N(struct xdp_md *ctx)                                                 \
{                                                                                \
    __u32 key = N;                                                               \
    __u64 *v = bpf_map_lookup_elem(&table, &key);                                \
    if (!v)                                                                      \
        return XDP_PASS;                                                         \
    __u64 acc = ctx->rx_queue_index;                                             \
    _Pragma("clang loop unroll(full)")                                           \
    for (int i = 0; i < 64; i++) {                                               \
        if (v[i] & (1ULL << (i % 13)))                                           \
            acc = acc * 31 + v[i];                                               \
        else                                                                     \
            acc ^= v[i] >> (i % 7);                                              \
    }                                                                            \
    totals[N % 64] += acc;                                                       \
    return acc & 1 ? XDP_PASS : XDP_DROP;                                        \
}

#define EIGHT(A) BODY(A##0) BODY(A##1) BODY(A##2) BODY(A##3) BODY(A##4) BODY(A##5) BODY(A##6) BODY(A##7)
EIGHT(1) EIGHT(2) EIGHT(3) EIGHT(4) EIGHT(5) EIGHT(6) EIGHT(7) EIGHT(8)

char LICENSE[] SEC("license") = "GPL";
