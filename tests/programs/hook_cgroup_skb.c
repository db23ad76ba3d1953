// cgroup_skb/egress: counts packets leaving the cgroup and drops IPv4 UDP to port 9797.
// counts[0] = packets seen, counts[1] = dropped. For cgroup_skb, skb->data is the IP header.
#include <linux/bpf.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include "hook_counts.h"
#include <bpf/bpf_endian.h>

SEC("cgroup_skb/egress")
int egress_drop_9797(struct __sk_buff *skb)
{
    struct iphdr ip;
    struct udphdr udp;
    bump(0);
    if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) || ip.version != 4 || ip.protocol != IPPROTO_UDP)
        return 1;
    if (bpf_skb_load_bytes(skb, ip.ihl * 4, &udp, sizeof(udp)))
        return 1;
    if (udp.dest == bpf_htons(9797)) {
        bump(1);
        return 0;
    }
    return 1;
}

char LICENSE[] SEC("license") = "GPL";
