// The classic XDP DDoS blacklist: drop every IPv4 packet whose source address is in the
// `blacklist` hash map (the host fills it, e.g. from blacklist.txt), counting drops per source,
// and count every verdict in the per-CPU `verdicts` array (index = XDP action).
// Non-IPv4 frames (IPv6, ARP, ...) pass; up to two VLAN tags (802.1Q / 802.1ad) are skipped;
// frames too short for their headers are dropped as malformed.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 10000);
    __type(key, __u32);   // IPv4 source address, network byte order
    __type(value, __u64); // packets dropped from it
} blacklist SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, XDP_REDIRECT + 1);
    __type(key, __u32);   // XDP action
    __type(value, __u64); // packets given that verdict
} verdicts SEC(".maps");

struct vlan_hdr {
    __be16 tci;
    __be16 encapsulated_proto;
};

static __always_inline int count_verdict(__u32 action)
{
    __u64 *n = bpf_map_lookup_elem(&verdicts, &action);
    if (n)
        *n += 1; // per-CPU slot: no other CPU writes it
    return action;
}

SEC("xdp")
int xdp_blacklist(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;

    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end)
        return count_verdict(XDP_DROP);
    __be16 proto = eth->h_proto;
    void *cursor = eth + 1;

#pragma unroll
    for (int i = 0; i < 2; i++) {
        if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
            break;
        struct vlan_hdr *vlan = cursor;
        if ((void *)(vlan + 1) > data_end)
            return count_verdict(XDP_DROP);
        proto = vlan->encapsulated_proto;
        cursor = vlan + 1;
    }
    if (proto != bpf_htons(ETH_P_IP))
        return count_verdict(XDP_PASS);

    struct iphdr *ip = cursor;
    if ((void *)(ip + 1) > data_end)
        return count_verdict(XDP_DROP);

    __u32 saddr = ip->saddr;
    __u64 *drops = bpf_map_lookup_elem(&blacklist, &saddr);
    if (drops) {
        __sync_fetch_and_add(drops, 1); // hash values are shared between CPUs
        return count_verdict(XDP_DROP);
    }
    return count_verdict(XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
