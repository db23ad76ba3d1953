// A program with a large array it only reads (as flow tables sized for production are), and a small hash it writes:
// prog run's default report (--maps changed) leaves the big one out. 65,536 entries keep the engine agreement cases
// quick; -DHUGE_ENTRIES='(1<<25)' gives the 33-million-entry array docs/vm-real-programs.md was measured with.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#ifndef HUGE_ENTRIES
#define HUGE_ENTRIES (1 << 16)
#endif

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, HUGE_ENTRIES);
    __type(key, __u32);
    __type(value, __u32);
} flows SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u64);
} hits SEC(".maps");

SEC("xdp")
int xdp_huge(struct xdp_md *ctx)
{
    __u32 key = (ctx->data_end - ctx->data) & (HUGE_ENTRIES - 1);
    __u32 *flow = bpf_map_lookup_elem(&flows, &key);
    __u32 found = flow && *flow;
    __u32 one = 1;
    __u64 *n = bpf_map_lookup_elem(&hits, &one);
    if (n)
        (*n)++;
    else
        bpf_map_update_elem(&hits, &one, &(__u64){1}, BPF_ANY);
    return found ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
