// XDP parse + hash map counters: counts packets and bytes per IPv4 source address and per
// IP protocol; drops UDP to port 9 (discard), passes everything else.
#include "packet_parse.h"
#include <linux/in.h>
#include <linux/udp.h>

struct counter {
    __u64 packets;
    __u64 bytes;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, struct counter);
} by_source SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u8);
    __type(value, __u64);
} by_protocol SEC(".maps");

SEC("xdp")
int xdp_counters(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct iphdr *ip = parse_ipv4(data, data_end);
    if (!ip)
        return XDP_PASS;

    __u32 saddr = ip->saddr;
    __u64 len = data_end - data;
    struct counter *c = bpf_map_lookup_elem(&by_source, &saddr);
    if (c) {
        c->packets += 1;
        c->bytes += len;
    } else {
        struct counter fresh = { .packets = 1, .bytes = len };
        bpf_map_update_elem(&by_source, &saddr, &fresh, BPF_NOEXIST);
    }

    __u8 proto = ip->protocol;
    __u64 *n = bpf_map_lookup_elem(&by_protocol, &proto);
    if (n) {
        *n += 1;
    } else {
        __u64 one = 1;
        bpf_map_update_elem(&by_protocol, &proto, &one, BPF_ANY);
    }

    if (ip->protocol == IPPROTO_UDP && ip->ihl == 5) {
        struct udphdr *udp = (void *)(ip + 1);
        if ((void *)(udp + 1) > data_end)
            return XDP_ABORTED;
        if (udp->dest == bpf_htons(9))
            return XDP_DROP;
    }
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
