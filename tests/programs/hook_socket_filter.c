// Socket filter for a UDP socket: drops datagrams whose payload starts with 'D', keeps the rest.
// counts[0] = datagrams seen, counts[1] = dropped. On a UDP socket skb->data is the UDP header.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "hook_counts.h"

SEC("socket")
int drop_d(struct __sk_buff *skb)
{
    char first = 0;
    bump(0);
    if (bpf_skb_load_bytes(skb, 8, &first, 1) == 0 && first == 'D') {
        bump(1);
        return 0;
    }
    return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
