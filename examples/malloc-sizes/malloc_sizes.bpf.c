// A uprobe on libc's malloc: counts the calls and the bytes asked for, and adds each size to a log2 histogram
// (bucket 0: size 0; bucket k > 0: sizes in [2^(k-1), 2^k)), as bpftrace's hist() does. The host attaches it to
// one process (the perf event's pid filter), so every call counted is that process's.
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define BUCKETS 65

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, BUCKETS);
    __type(key, __u32);
    __type(value, __u64); // calls whose size falls in the bucket
} histogram SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64); // bytes asked for, all calls
} total_bytes SEC(".maps");

static __always_inline __u32 bucket_of(__u64 size)
{
    if (size == 0)
        return 0;
    __u32 log2 = 0;
    if (size >> 32) { size >>= 32; log2 += 32; }
    if (size >> 16) { size >>= 16; log2 += 16; }
    if (size >> 8) { size >>= 8; log2 += 8; }
    if (size >> 4) { size >>= 4; log2 += 4; }
    if (size >> 2) { size >>= 2; log2 += 2; }
    if (size >> 1) { log2 += 1; }
    return log2 + 1;
}

SEC("uprobe/libc.so.6:malloc")
int BPF_KPROBE(count_malloc, __u64 size)
{
    __u32 bucket = bucket_of(size), zero = 0;
    __u64 *n = bpf_map_lookup_elem(&histogram, &bucket);
    if (n)
        *n += 1; // per-CPU slot
    __u64 *bytes = bpf_map_lookup_elem(&total_bytes, &zero);
    if (bytes)
        *bytes += size;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
