// Objects test: static and global subprograms in .text, a chain of calls, a callee shared by two programs,
// a static function in the program's own section, and bpf_loop callbacks (function addresses).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __noinline int leaf(int x)
{
    return x * 7 + 1;
}

static __noinline int middle(int x)
{
    return leaf(x) + leaf(x + 1);
}

__noinline int global_top(int x)
{
    return middle(x) ^ 0x55;
}

struct loop_ctx {
    int sum;
    int limit;
};

static int add_step(__u32 index, void *data)
{
    struct loop_ctx *ctx = data;
    ctx->sum += leaf((int)index);
    return ctx->sum > ctx->limit;
}

static int other_step(__u32 index, void *data)
{
    struct loop_ctx *ctx = data;
    ctx->sum -= (int)index;
    return 0;
}

SEC("tc")
int tc_calls(struct __sk_buff *skb)
{
    int v = global_top((int)skb->len);
    struct loop_ctx ctx = { .sum = v, .limit = 1000 };
    bpf_loop(8, add_step, &ctx, 0);
    bpf_loop(4, other_step, &ctx, 0);
    return ctx.sum & 1;
}

SEC("tc")
int tc_leaf_only(struct __sk_buff *skb)
{
    return leaf((int)skb->mark) > 10;
}

SEC("xdp")
int xdp_chain(struct xdp_md *ctx)
{
    return middle((int)ctx->rx_queue_index) & 1 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
