// sharpbpf-test: min-cpu=v3
// Atomics (needs -mcpu=v3): fetch-add, compare-and-swap, exchange, and/or/xor on a map value and
// on globals; the old values they return are recorded too.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct cells {
    __u64 add;
    __u64 cas;
    __u64 xchg;
    __u32 add32;
    __u32 bits;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct cells);
} cells SEC(".maps");

__u64 old_add, old_cas, old_xchg, old_bits;
__u32 global_counter;

SEC("xdp")
int atomics(struct xdp_md *ctx)
{
    __u32 zero = 0;
    __u32 len = ctx->data_end - ctx->data;
    struct cells *c = bpf_map_lookup_elem(&cells, &zero);
    if (!c)
        return XDP_ABORTED;
    old_add = __sync_fetch_and_add(&c->add, len);
    old_cas = __sync_val_compare_and_swap(&c->cas, 0, (__u64)len << 8);
    old_xchg = __sync_lock_test_and_set(&c->xchg, len);
    __sync_fetch_and_add(&c->add32, 3);
    old_bits = __sync_fetch_and_or(&c->bits, 1u << (len & 31));
    __sync_fetch_and_and(&c->bits, 0x7fffffff);
    __sync_fetch_and_xor(&c->bits, 0x100);
    __sync_fetch_and_add(&global_counter, 1);
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
