// The benchmark's producer: one 64-byte ring buffer record per getpid() of the driving process (config[0] = its
// tgid), counting the records it wrote and the ones it could not reserve because the ring was full (drops).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct record {
    __u64 seq;
    __u64 time_ns;
    __u64 payload[6];
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} config SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);   // 0: records written, 1: records dropped (ring full)
    __type(value, __u64);
} stats SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int produce(void *ctx)
{
    __u32 zero = 0;
    __u32 *want = bpf_map_lookup_elem(&config, &zero);
    if (!want || *want != (__u32)(bpf_get_current_pid_tgid() >> 32))
        return 0;
    __u32 slot = 0;
    struct record *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
    if (!r)
        slot = 1;
    __u64 *n = bpf_map_lookup_elem(&stats, &slot);
    if (!n) {
        if (r)
            bpf_ringbuf_discard(r, 0);
        return 0;
    }
    __u64 seq = __sync_fetch_and_add(n, 1);
    if (r) {
        r->seq = seq;
        r->time_ns = bpf_ktime_get_ns();
        bpf_ringbuf_submit(r, 0);
    }
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
