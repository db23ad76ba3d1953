// tc (sched_cls) rewrite on __sk_buff: NATs the IPv4 destination of UDP packets to 10.9.9.9 with
// bpf_skb_load_bytes/bpf_skb_store_bytes, fixing the IPv4 checksum with bpf_l3_csum_replace and the
// UDP checksum with bpf_l4_csum_replace; drops TCP to port 23; everything else passes.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <stddef.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define IP_OFF ETH_HLEN
#define NEW_DADDR 0x0a090909 /* 10.9.9.9 */

__u64 rewritten, dropped, seen_len;
__u32 seen_protocol;

SEC("tc")
int tc_rewrite(struct __sk_buff *skb)
{
    seen_len += skb->len;
    seen_protocol = skb->protocol;
    if (skb->protocol != bpf_htons(ETH_P_IP))
        return TC_ACT_OK;

    struct iphdr ip;
    if (bpf_skb_load_bytes(skb, IP_OFF, &ip, sizeof(ip)))
        return TC_ACT_OK;
    __u32 l4 = IP_OFF + ip.ihl * 4;

    if (ip.protocol == IPPROTO_TCP) {
        __be16 dport;
        if (bpf_skb_load_bytes(skb, l4 + 2, &dport, sizeof(dport)) == 0 && dport == bpf_htons(23)) {
            dropped++;
            return TC_ACT_SHOT;
        }
        return TC_ACT_OK;
    }
    if (ip.protocol != IPPROTO_UDP)
        return TC_ACT_OK;

    __be32 old_daddr = ip.daddr;
    __be32 new_daddr = bpf_htonl(NEW_DADDR);
    __sum16 udp_check;
    if (bpf_skb_load_bytes(skb, l4 + offsetof(struct udphdr, check), &udp_check, sizeof(udp_check)))
        return TC_ACT_OK;
    if (udp_check)
        bpf_l4_csum_replace(skb, l4 + offsetof(struct udphdr, check), old_daddr, new_daddr,
                            BPF_F_PSEUDO_HDR | sizeof(new_daddr));
    bpf_l3_csum_replace(skb, IP_OFF + offsetof(struct iphdr, check), old_daddr, new_daddr, sizeof(new_daddr));
    bpf_skb_store_bytes(skb, IP_OFF + offsetof(struct iphdr, daddr), &new_daddr, sizeof(new_daddr), 0);
    rewritten++;
    return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
