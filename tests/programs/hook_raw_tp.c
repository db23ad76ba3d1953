// Counts system calls entered by one thread (tid in config[0]) at the sys_enter raw tracepoint,
// and getpid() calls separately (ctx->args[1] is the syscall number).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} config SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

SEC("raw_tp/sys_enter")
int count_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
    __u32 zero = 0, one = 1;
    __u64 *want = bpf_map_lookup_elem(&config, &zero);
    if (!want || *want != (__u32)bpf_get_current_pid_tgid())
        return 0;
    __u64 *all = bpf_map_lookup_elem(&counts, &zero);
    if (all)
        __sync_fetch_and_add(all, 1);
    if (ctx->args[1] == 39 /* __NR_getpid on x86-64 */ || ctx->args[1] == 172 /* arm64 */) {
        __u64 *getpid = bpf_map_lookup_elem(&counts, &one);
        if (getpid)
            __sync_fetch_and_add(getpid, 1);
    }
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
