// A uprobe and a uretprobe on a user function: counts entries, sums the first argument and records the last
// return value. counts[0] = calls, counts[1] = sum of arg1, counts[2] = last return value, counts[3] = returns.
#define __TARGET_ARCH_x86
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

static void add(__u32 key, __u64 value, int set)
{
    __u64 *slot = bpf_map_lookup_elem(&counts, &key);
    if (!slot)
        return;
    if (set)
        *slot = value;
    else
        __sync_fetch_and_add(slot, value);
}

SEC("uprobe")
int on_entry(struct pt_regs *ctx)
{
    add(0, 1, 0);
    add(1, PT_REGS_PARM1(ctx), 0);
    return 0;
}

SEC("uretprobe")
int on_return(struct pt_regs *ctx)
{
    add(2, PT_REGS_RC(ctx), 1);
    add(3, 1, 0);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
