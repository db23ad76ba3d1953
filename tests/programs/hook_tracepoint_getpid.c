// Counts getpid() calls of one thread (its tid is written into config[0] by the test: tests of one process run in parallel) at the
// syscalls/sys_enter_getpid tracepoint, and sends a ring buffer record per call.
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
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096 * 4);
} events SEC(".maps");

struct event {
    __u32 tgid;
    __u32 seq;
    __u64 magic;
};

SEC("tracepoint/syscalls/sys_enter_getpid")
int count_getpid(void *ctx)
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
    __u64 seq = __sync_fetch_and_add(count, 1);
    struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e)
        return 0;
    e->tgid = tgid;
    e->seq = (__u32)seq;
    e->magic = 0x5348415250425046ULL;
    // Every fourth record is discarded: the reader must skip it.
    if ((seq & 3) == 3)
        bpf_ringbuf_discard(e, 0);
    else
        bpf_ringbuf_submit(e, 0);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
