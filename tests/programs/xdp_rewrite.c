// XDP packet rewrite, answered with XDP_TX: pops one VLAN tag (bpf_xdp_adjust_head), trims
// Ethernet padding beyond the IPv4 total length (bpf_xdp_adjust_tail), swaps the MAC addresses,
// decrements the TTL and recomputes the IPv4 header checksum with bpf_csum_diff.
#include "packet_parse.h"

__u64 vlan_popped, bytes_trimmed;

static __always_inline __u16 fold_csum(__u64 sum)
{
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return ~sum;
}

SEC("xdp")
int xdp_rewrite(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end)
        return XDP_PASS;

    if (eth->h_proto == bpf_htons(ETH_P_8021Q)) {
        struct vlan_tag *tag = (void *)(eth + 1);
        if ((void *)(tag + 1) > data_end)
            return XDP_DROP;
        // Move the MAC addresses 4 bytes forward over the tag, then drop the first 4 bytes.
        struct ethhdr moved;
        __builtin_memcpy(moved.h_dest, eth->h_dest, ETH_ALEN);
        __builtin_memcpy(moved.h_source, eth->h_source, ETH_ALEN);
        moved.h_proto = tag->encapsulated_proto;
        if (bpf_xdp_adjust_head(ctx, (int)sizeof(struct vlan_tag)))
            return XDP_ABORTED;
        data = (void *)(long)ctx->data;
        data_end = (void *)(long)ctx->data_end;
        eth = data;
        if ((void *)(eth + 1) > data_end)
            return XDP_ABORTED;
        __builtin_memcpy(eth, &moved, sizeof(moved));
        vlan_popped++;
    }

    if (eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > data_end || ip->ihl != 5)
        return XDP_PASS;

    __u32 frame = bpf_ntohs(ip->tot_len) + sizeof(struct ethhdr);
    __u32 have = data_end - data;
    if (frame < have && have - frame < 64) {
        int delta = (int)frame - (int)have;
        if (bpf_xdp_adjust_tail(ctx, delta))
            return XDP_ABORTED;
        bytes_trimmed += have - frame;
        data = (void *)(long)ctx->data;
        data_end = (void *)(long)ctx->data_end;
        eth = data;
        ip = (void *)(eth + 1);
        if ((void *)(ip + 1) > data_end)
            return XDP_ABORTED;
    }

    __u8 mac[ETH_ALEN];
    __builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
    __builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
    __builtin_memcpy(eth->h_source, mac, ETH_ALEN);

    if (ip->ttl <= 1)
        return XDP_DROP;
    ip->ttl--;
    ip->check = 0;
    __s64 sum = bpf_csum_diff(0, 0, (__be32 *)ip, sizeof(*ip), 0);
    if (sum < 0)
        return XDP_ABORTED;
    ip->check = fold_csum(sum);
    return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
