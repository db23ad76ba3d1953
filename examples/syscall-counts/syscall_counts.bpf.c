// Counts system calls per process and syscall number at the raw tracepoint sys_enter (args[1] is the syscall id),
// and reports each process it sees for the first time through a ring buffer (pid and command name), so the host can
// name the rows of its table. config[0]: only this process (0: all); config[1]: a process to ignore (the host itself).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct key {
    __u32 pid;
    __u32 syscall;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u32);
} config SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16384);
    __type(key, struct key);
    __type(value, __u64); // calls
} counts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 4096);
    __type(key, __u32);   // pid (thread group id)
    __type(value, __u8);
} seen SEC(".maps");

struct new_process {
    __u32 pid;
    __u32 first_syscall;
    char comm[16];
};

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 64 * 1024);
} processes SEC(".maps");

static __always_inline __u32 config_value(__u32 index)
{
    __u32 *v = bpf_map_lookup_elem(&config, &index);
    return v ? *v : 0;
}

SEC("raw_tracepoint/sys_enter")
int count_syscalls(struct bpf_raw_tracepoint_args *ctx)
{
    __u32 pid = bpf_get_current_pid_tgid() >> 32;
    __u32 only = config_value(0);
    if ((only && pid != only) || pid == config_value(1))
        return 0;

    struct key key = { .pid = pid, .syscall = (__u32)ctx->args[1] };
    __u64 one = 1, *calls = bpf_map_lookup_elem(&counts, &key);
    if (calls)
        __sync_fetch_and_add(calls, 1);
    else
        bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST); // a racing CPU may win: that first call is lost

    __u8 yes = 1;
    if (bpf_map_update_elem(&seen, &pid, &yes, BPF_NOEXIST) == 0) {
        struct new_process *e = bpf_ringbuf_reserve(&processes, sizeof(*e), 0);
        if (e) {
            e->pid = pid;
            e->first_syscall = key.syscall;
            bpf_get_current_comm(e->comm, sizeof(e->comm));
            bpf_ringbuf_submit(e, 0);
        }
    }
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
