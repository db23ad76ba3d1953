// Whole-path benchmark: Ethernet/IPv4/IPv6 parse, a per-CPU array of protocol counters and a hash keyed by the
// 2-byte destination port.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 256);
    __type(key, __u32);
    __type(value, __u64);
} proto_count SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u16);
    __type(value, __u64);
} port_hits SEC(".maps");

SEC("xdp")
int whole_parse(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end)
        return XDP_DROP;
    __u32 proto;
    void *l4;
    if (eth->h_proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip = (void *)(eth + 1);
        if ((void *)(ip + 1) > data_end)
            return XDP_DROP;
        proto = ip->protocol;
        l4 = (void *)ip + ip->ihl * 4;
    } else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr *ip6 = (void *)(eth + 1);
        if ((void *)(ip6 + 1) > data_end)
            return XDP_DROP;
        proto = ip6->nexthdr;
        l4 = ip6 + 1;
    } else {
        return XDP_PASS;
    }
    __u64 *count = bpf_map_lookup_elem(&proto_count, &proto);
    if (count)
        *count += 1;
    if (proto != IPPROTO_UDP)
        return XDP_PASS;
    struct udphdr *udp = l4;
    if ((void *)(udp + 1) > data_end)
        return XDP_DROP;
    __u16 port = udp->dest;
    __u64 *hits = bpf_map_lookup_elem(&port_hits, &port);
    if (!hits)
        return XDP_PASS;
    __sync_fetch_and_add(hits, 1);
    return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
