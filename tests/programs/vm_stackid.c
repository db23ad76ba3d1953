// Stack ids as profilers (bcc's offcputime, profile) take them: bpf_get_stackid from two call sites, twice from one,
// a user stack, and bpf_get_stack into a buffer. The VM records its documented stand-in stack.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_STACK_TRACE);
    __uint(max_entries, 64);
    __type(key, __u32);
    __uint(value_size, 8 * 127);
} stacks SEC(".maps");

struct {
    long first, again, other, user, got;
    __u64 stack[4];
} out;

static __attribute__((noinline)) long from_here(void *ctx)
{
    return bpf_get_stackid(ctx, &stacks, 0);
}

SEC("raw_tp/sys_enter")
int take_stacks(void *ctx)
{
    out.first = from_here(ctx);
    out.again = from_here(ctx);
    out.other = bpf_get_stackid(ctx, &stacks, BPF_F_REUSE_STACKID);
    out.user = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
    out.got = bpf_get_stack(ctx, out.stack, sizeof(out.stack), 0);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
