// Objects test: BTF-defined maps (hash, percpu array with key/value sizes, ringbuf), map-in-map with .values,
// a prog array with .values, global data and static/global subprograms.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 128);
    __type(key, __u32);
    __type(value, __u64);
    __uint(map_flags, BPF_F_NO_PREALLOC);
} counts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 4);
    __uint(key_size, 4);
    __uint(value_size, 16);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
} stats SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

struct inner {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, __u32);
};
struct inner inner1 SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 2);
    __type(key, __u32);
    __array(values, struct inner);
} outer SEC(".maps") = { .values = { [1] = &inner1 } };

int tail_target(struct xdp_md *ctx);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __array(values, int (void *));
} jumps SEC(".maps") = { .values = { [2] = (void *)&tail_target } };

__u64 total = 0;
__u32 seen;
const volatile __u32 limit = 10;

static __noinline __u64 bump(__u32 k)
{
    __u64 *v = bpf_map_lookup_elem(&counts, &k);
    if (v)
        return ++*v;
    __u64 one = 1;
    bpf_map_update_elem(&counts, &k, &one, BPF_ANY);
    return 1;
}

__noinline int global_helper(int x)
{
    return x * 3 + (int)limit;
}

SEC("xdp")
int xdp_main(struct xdp_md *ctx)
{
    __u32 k = ctx->ingress_ifindex;
    total += bump(k);
    seen++;
    void *m = bpf_map_lookup_elem(&outer, &k);
    if (m)
        bpf_map_lookup_elem(m, &k);
    bpf_tail_call(ctx, &jumps, 2);
    return global_helper(k) > 5 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int tail_target(struct xdp_md *ctx)
{
    bpf_printk("tail %d", ctx->rx_queue_index);
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
