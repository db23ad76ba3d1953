// Loader test: what libbpf 1.1 does on load that the object does not spell out, in the styles of bcc's libbpf-tools
// and libbpf-bootstrap: a perf buffer without max_entries (one slot per possible CPU), a ring buffer, .rodata
// bound to every program, global data mmap-able only when it holds a non-static variable, libbpf's virtual
// LINUX_HAS_* kconfigs, and BTF-typed programs (tp_btf, iter) whose attach BTF id comes from vmlinux.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} rb SEC(".maps");

const volatile int target_tgid = 0;
static __u64 local_hits SEC(".data.statics");
__attribute__((visibility("hidden"))) __u64 hidden_hits;

extern _Bool LINUX_HAS_BPF_COOKIE __kconfig;
extern _Bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;
extern int LINUX_HAS_SOMETHING_NEWER __kconfig __weak;

SEC("tracepoint/syscalls/sys_enter_getpid")
int on_getpid(void *ctx)
{
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;
    if (target_tgid && tgid != target_tgid)
        return 0;
    __u64 flags = LINUX_HAS_BPF_COOKIE | LINUX_HAS_SYSCALL_WRAPPER << 1 | (LINUX_HAS_SOMETHING_NEWER != 0) << 2;
    local_hits++;
    bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &flags, sizeof(flags));
    return 0;
}

SEC("tp_btf/sched_switch")
int on_switch(__u64 *ctx)
{
    hidden_hits++;
    __u64 *slot = bpf_ringbuf_reserve(&rb, sizeof(*slot), 0);
    if (slot) {
        *slot = hidden_hits;
        bpf_ringbuf_submit(slot, 0);
    }
    return 0;
}

SEC("iter/task")
int dump_task(void *ctx)
{
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
