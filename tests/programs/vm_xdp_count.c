// XDP for the VM tests: parses Ethernet/IPv4, counts packets per IP protocol in a hash map,
// drops UDP to port 9, rewrites the TTL of ICMP (with an incremental checksum update), and can
// strip the Ethernet header with bpf_xdp_adjust_head when asked through global data.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

volatile const __u32 strip_ethernet = 0;
__u64 packets = 0;

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end)
        return XDP_ABORTED;
    __sync_fetch_and_add(&packets, 1);
    if (eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > data_end)
        return XDP_ABORTED;
    __u32 proto = ip->protocol;
    __u64 one = 1, *count = bpf_map_lookup_elem(&counts, &proto);
    if (count)
        __sync_fetch_and_add(count, 1);
    else
        bpf_map_update_elem(&counts, &proto, &one, BPF_NOEXIST);
    if (proto == IPPROTO_UDP) {
        struct udphdr *udp = (void *)(ip + 1);
        if ((void *)(udp + 1) > data_end)
            return XDP_ABORTED;
        if (udp->dest == bpf_htons(9))
            return XDP_DROP;
    }
    if (proto == IPPROTO_ICMP) {
        __u32 sum = (__u32)ip->check + (__u32)bpf_htons(0x0100);
        ip->check = (__u16)(sum + (sum >> 16));
        ip->ttl--;
    }
    if (strip_ethernet && bpf_xdp_adjust_head(ctx, (int)sizeof(struct ethhdr)))
        return XDP_ABORTED;
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
