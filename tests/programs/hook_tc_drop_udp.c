// tc (sched_cls, direct action): drops IPv4 UDP datagrams to port 7777. counts[0] = packets seen, counts[1] = dropped.
#include <linux/pkt_cls.h>
#include "hook_counts.h"

SEC("tc")
int tc_drop_udp(struct __sk_buff *skb)
{
    bump(0);
    if (!is_udp_to_port((void *)(long)skb->data, (void *)(long)skb->data_end, 7777))
        return TC_ACT_OK;
    bump(1);
    return TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
