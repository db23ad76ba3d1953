// tc program for the VM/kernel differential tests of bpf_skb_store_bytes, bpf_l3_csum_replace,
// bpf_l4_csum_replace and bpf_csum_diff: rewrites the IPv4 TTL, destination address and UDP port of a packet.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <stddef.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define IP_OFF ETH_HLEN
#define UDP_OFF (ETH_HLEN + sizeof(struct iphdr))

SEC("tc")
int tc_rewrite(struct __sk_buff *skb)
{
    struct iphdr ip;
    if (bpf_skb_load_bytes(skb, IP_OFF, &ip, sizeof(ip)))
        return TC_ACT_SHOT;
    /* TTL: a 2-byte field shared with the protocol */
    __u16 old_ttl_proto = *(__u16 *)&ip.ttl;
    ip.ttl = 17;
    __u16 new_ttl_proto = *(__u16 *)&ip.ttl;
    bpf_skb_store_bytes(skb, IP_OFF + offsetof(struct iphdr, ttl), &ip.ttl, 1, 0);
    long r1 = bpf_l3_csum_replace(skb, IP_OFF + offsetof(struct iphdr, check), old_ttl_proto, new_ttl_proto, 2);
    /* destination address: 4 bytes, IP checksum and the UDP pseudo-header checksum */
    __u32 old_daddr = ip.daddr, new_daddr = bpf_htonl(0xc0a80101);
    bpf_skb_store_bytes(skb, IP_OFF + offsetof(struct iphdr, daddr), &new_daddr, 4, 0);
    long r2 = bpf_l3_csum_replace(skb, IP_OFF + offsetof(struct iphdr, check), old_daddr, new_daddr, 4);
    long r3 = bpf_l4_csum_replace(skb, UDP_OFF + offsetof(struct udphdr, check), old_daddr, new_daddr, BPF_F_PSEUDO_HDR | 4);
    /* destination port, with a csum_diff-computed delta */
    __u32 old_port = 0, new_port = bpf_htons(8080);
    if (bpf_skb_load_bytes(skb, UDP_OFF + offsetof(struct udphdr, dest), &old_port, 2))
        return TC_ACT_SHOT;
    __s64 diff = bpf_csum_diff(&old_port, 4, &new_port, 4, 0);
    bpf_skb_store_bytes(skb, UDP_OFF + offsetof(struct udphdr, dest), &new_port, 2, 0);
    long r4 = bpf_l4_csum_replace(skb, UDP_OFF + offsetof(struct udphdr, check), 0, diff, BPF_F_MARK_MANGLED_0);
    long r5 = bpf_l3_csum_replace(skb, 5000, 0, 0, 2);       /* out of the packet: -EFAULT */
    long r6 = bpf_l3_csum_replace(skb, IP_OFF, 0, 0, 3);     /* bad size: -EINVAL */
    return ((r1 | r2 | r3 | r4) & 0xff) | ((r5 & 0xff) << 8) | ((r6 & 0xff) << 16);
}

char LICENSE[] SEC("license") = "GPL";
