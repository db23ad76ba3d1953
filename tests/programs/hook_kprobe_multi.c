// One program on several kernel functions through a multi-kprobe link: counts calls (slot 0) and records the last
// BPF cookie (slot 1).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

SEC("kprobe.multi/__x64_sys_getp*")
int count_getp(void *ctx)
{
    __u32 key = 0;
    __u64 *slot = bpf_map_lookup_elem(&counts, &key);
    if (slot)
        __sync_fetch_and_add(slot, 1);
    key = 1;
    slot = bpf_map_lookup_elem(&counts, &key);
    if (slot)
        *slot = bpf_get_attach_cookie(ctx);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
