// Loader test: a map shared between objects the way xdp-filter and others do it, pinned by name under the bpffs
// (LIBBPF_PIN_BY_NAME): the first loader creates and pins it, the next ones reuse the pin.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u64);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
} sb_loader_pinned SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int count_getppid(void *ctx)
{
    __u32 tgid = bpf_get_current_pid_tgid() >> 32;
    __u64 one = 1, *count = bpf_map_lookup_elem(&sb_loader_pinned, &tgid);
    if (count)
        __sync_fetch_and_add(count, 1);
    else
        bpf_map_update_elem(&sb_loader_pinned, &tgid, &one, BPF_NOEXIST);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
