// Benchmark program: parse Ethernet/IPv4/UDP and look the destination up in a hash map.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct flow { __u32 daddr; __u16 dport; __u16 pad; };

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, struct flow);
    __type(value, __u64);
} flows SEC(".maps");

SEC("xdp")
int parse_lookup(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > data_end || ip->protocol != IPPROTO_UDP)
        return XDP_PASS;
    struct udphdr *udp = (void *)ip + ip->ihl * 4;
    if ((void *)(udp + 1) > data_end)
        return XDP_PASS;
    struct flow key = { .daddr = ip->daddr, .dport = udp->dest };
    __u64 *hits = bpf_map_lookup_elem(&flows, &key);
    if (!hits)
        return XDP_DROP;
    __sync_fetch_and_add(hits, 1);
    return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
