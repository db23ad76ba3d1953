// The skeleton demo's BPF side: an XDP program that drops frames shorter than a configurable minimum (.rodata),
// counts the rest in a .bss struct and per EtherType in a hash map.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct totals {
    __u64 packets;
    __u64 bytes;
    __u32 largest;
    __u32 dropped;
};

struct totals totals;
const volatile __u32 min_size = 0;

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __u16);
    __type(value, __u64);
} by_proto SEC(".maps");

SEC("xdp")
int count_frames(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end)
        return XDP_PASS;
    __u32 len = end - data;
    if (len < min_size) {
        totals.dropped++;
        return XDP_DROP;
    }
    totals.packets++;
    totals.bytes += len;
    if (len > totals.largest)
        totals.largest = len;
    __u16 proto = bpf_ntohs(eth->h_proto);
    __u64 one = 1, *count = bpf_map_lookup_elem(&by_proto, &proto);
    if (count)
        __sync_fetch_and_add(count, 1);
    else
        bpf_map_update_elem(&by_proto, &proto, &one, BPF_NOEXIST);
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
