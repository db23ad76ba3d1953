// Shared by the hook_* test programs: counts[0] = packets seen, counts[1] = packets acted on, and the
// "IPv4 UDP datagram to this port" match the XDP and tc programs drop on.
#pragma once
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

static void bump(__u32 key)
{
    __u64 *slot = bpf_map_lookup_elem(&counts, &key);
    if (slot)
        __sync_fetch_and_add(slot, 1);
}

// True for an Ethernet frame holding an IPv4 (no options) UDP datagram to `port`.
static __always_inline int is_udp_to_port(void *data, void *end, __u16 port)
{
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
        return 0;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP || ip->ihl != 5)
        return 0;
    struct udphdr *udp = (void *)(ip + 1);
    return (void *)(udp + 1) <= end && udp->dest == bpf_htons(port);
}
