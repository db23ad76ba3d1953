// tc (sched_cls, direct action): drops IPv4 UDP datagrams to port 7777. counts[0] = packets seen, counts[1] = dropped.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
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

SEC("tc")
int tc_drop_udp(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    bump(0);
    if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
        return TC_ACT_OK;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP || ip->ihl != 5)
        return TC_ACT_OK;
    struct udphdr *udp = (void *)(ip + 1);
    if ((void *)(udp + 1) > end || udp->dest != bpf_htons(7777))
        return TC_ACT_OK;
    bump(1);
    return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
