// Socket filter: the return value is how many bytes to keep. In a socket filter the skb data
// starts at the network header. ICMP -> 0 (drop), TCP -> first 40 bytes, UDP/other -> whole.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <stddef.h>

__u64 accepted, rejected;

SEC("socket")
int socket_filter(struct __sk_buff *skb)
{
    if (skb->protocol != bpf_htons(ETH_P_IP))
        return skb->len;
    __u8 proto;
    if (bpf_skb_load_bytes(skb, offsetof(struct iphdr, protocol), &proto, 1))
        return 0;
    if (proto == IPPROTO_ICMP) {
        rejected++;
        return 0;
    }
    accepted++;
    return proto == IPPROTO_TCP ? 40 : skb->len;
}

char LICENSE[] SEC("license") = "GPL";
