// Shared Ethernet/VLAN/IPv4 parsing for the XDP test programs: bounds-checked against data_end,
// the way the verifier wants it.
#pragma once
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct vlan_tag {
    __be16 tci;
    __be16 encapsulated_proto;
};

// Returns the IPv4 header after the Ethernet header and up to two VLAN tags, or 0 when the frame
// is too short or not IPv4.
static __always_inline struct iphdr *parse_ipv4(void *data, void *data_end)
{
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end)
        return 0;
    __be16 proto = eth->h_proto;
    void *cursor = eth + 1;
#pragma unroll
    for (int i = 0; i < 2; i++) {
        if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
            break;
        struct vlan_tag *tag = cursor;
        if ((void *)(tag + 1) > data_end)
            return 0;
        proto = tag->encapsulated_proto;
        cursor = tag + 1;
    }
    if (proto != bpf_htons(ETH_P_IP))
        return 0;
    struct iphdr *ip = cursor;
    if ((void *)(ip + 1) > data_end)
        return 0;
    return ip;
}
