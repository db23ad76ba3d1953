// One program on several kernel functions through a multi-kprobe link: counts calls (counts[0]) and records the
// last BPF cookie (counts[1]).
#include "hook_counts.h"

SEC("kprobe.multi/__x64_sys_getp*")
int count_getp(void *ctx)
{
    bump(0);
    __u32 key = 1;
    __u64 *slot = bpf_map_lookup_elem(&counts, &key);
    if (slot)
        *slot = bpf_get_attach_cookie(ctx);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
