// Sends one perf event record (bpf_perf_event_output) per getpid() call of the thread whose tid is in config[0].
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} config SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

struct record {
    __u32 tgid;
    __u32 seq;
    char text[20];  // odd total size: the kernel pads the raw sample to 8 bytes
};

SEC("tracepoint/syscalls/sys_enter_getpid")
int perf_getpid(void *ctx)
{
    __u32 zero = 0;
    __u64 *want = bpf_map_lookup_elem(&config, &zero);
    __u64 id = bpf_get_current_pid_tgid();
    __u32 tgid = id >> 32;
    if (!want || *want != (__u32)id)
        return 0;
    __u64 *count = bpf_map_lookup_elem(&counts, &zero);
    if (!count)
        return 0;
    struct record r = { .tgid = tgid, .seq = (__u32)__sync_fetch_and_add(count, 1) };
    __builtin_memcpy(r.text, "sharpbpf perf rec", 18);
    bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &r, sizeof(r));
    return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int printk_getppid(void *ctx)
{
    __u32 zero = 0;
    __u64 *want = bpf_map_lookup_elem(&config, &zero);
    if (!want || *want != (__u32)bpf_get_current_pid_tgid())
        return 0;
    bpf_printk("sharpbpf-tracelog %d", (int)*want);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
