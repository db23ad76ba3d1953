// Programs for the JIT tests: a tail call made inside a subprogram (the target's exit returns into the caller's
// frame), bpf_loop callbacks that read and write the stack, a deep chain of subprograms, a loop over the packet.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int tail_target(struct xdp_md *ctx)
{
    return 7;
}

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __array(values, int (void *));
} jt SEC(".maps") = {
    .values = { [0] = (void *)&tail_target },
};

static __noinline int tail_from_sub(struct xdp_md *ctx, int slot)
{
    bpf_tail_call(ctx, &jt, slot);
    return slot + 1;
}

SEC("xdp")
int tail_in_subprogram(struct xdp_md *ctx)
{
    int slot = ctx->data_end - ctx->data == 64 ? 0 : 3; /* not a constant clang could fold into the subprogram */
    int first = tail_from_sub(ctx, slot + 5); /* no such slot: returns 6 */
    int second = tail_from_sub(ctx, slot); /* the target's exit returns 7 here */
    return first * 1000 + second * 10 + 3;
}

struct loop_state { __u64 sum; __u32 last; };

static long step(__u32 i, void *data)
{
    struct loop_state *s = data;
    s->sum += (__u64)i * i;
    s->last = i;
    return i == 40 ? 1 : 0;
}

SEC("xdp")
int loop_callbacks(struct xdp_md *ctx)
{
    struct loop_state s = { 0, 0 };
    long n = bpf_loop(100, step, &s, 0);
    return (int)(s.sum + s.last + n * 100000);
}

static __noinline int depth3(int x) { return x * 3 + 1; }
static __noinline int depth2(int x) { return depth3(x + 2) * 2; }
static __noinline int depth1(int x) { return depth2(x) + depth3(x); }

SEC("xdp")
int subprogram_chain(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    return depth1((int)(data_end - data));
}

char LICENSE[] SEC("license") = "GPL";
