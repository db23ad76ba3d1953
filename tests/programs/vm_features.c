// Programs for the VM tests of subprograms, bpf_loop callbacks, tail calls, trace_printk and ring buffers.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} results SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

__u64 total = 0;

static __noinline __u64 square(__u64 x)
{
    return x * x;
}

static long add_square(__u32 index, void *ctx)
{
    __u64 *sum = ctx;
    *sum += square(index);
    return index == 9 ? 1 : 0; /* stop after 10 iterations */
}

SEC("xdp")
int loop_squares(struct xdp_md *ctx)
{
    __u64 sum = 0;
    long n = bpf_loop(100, add_square, &sum, 0);
    __u32 key = 0;
    bpf_map_update_elem(&results, &key, &sum, BPF_ANY);
    total += sum;
    bpf_printk("sum=%llu n=%ld", sum, n);
    bpf_printk("%d %d %d %d", 1, 2, 3, (int)bpf_xdp_get_buff_len(ctx));
    char text[16];
    BPF_SNPRINTF(text, sizeof(text), "%s-%u", "sum", sum);
    bpf_printk("%s", text);
    __u64 *event = bpf_ringbuf_reserve(&events, sizeof(__u64), 0);
    if (event) {
        *event = sum;
        bpf_ringbuf_submit(event, 0);
    }
    return n == 10 && sum == 285 ? XDP_PASS : XDP_DROP;
}

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u32);
} jump SEC(".maps");

SEC("xdp")
int tail_target(struct xdp_md *ctx)
{
    return XDP_TX;
}

SEC("xdp")
int tail_caller(struct xdp_md *ctx)
{
    bpf_tail_call(ctx, &jump, 1); /* empty slot: falls through */
    bpf_tail_call(ctx, &jump, 0);
    return XDP_DROP;
}

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __array(values, int (void *));
} jump_init SEC(".maps") = {
    .values = { [0] = (void *)&tail_target },
};

SEC("xdp")
int tail_caller_init(struct xdp_md *ctx)
{
    bpf_tail_call(ctx, &jump_init, 0);
    return XDP_DROP;
}

struct inner_map {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} inner_a SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 2);
    __type(key, __u32);
    __array(values, struct inner_map);
} outer SEC(".maps") = {
    .values = { [1] = &inner_a },
};

SEC("xdp")
int map_in_map(struct xdp_md *ctx)
{
    __u32 key = 1, zero = 0;
    void *inner = bpf_map_lookup_elem(&outer, &key);
    if (!inner)
        return XDP_ABORTED;
    __u64 *value = bpf_map_lookup_elem(inner, &zero);
    if (!value)
        return XDP_DROP;
    *value += 5;
    key = 0;
    return bpf_map_lookup_elem(&outer, &key) ? XDP_DROP : XDP_PASS; /* slot 0 is empty */
}

char LICENSE[] SEC("license") = "GPL";
