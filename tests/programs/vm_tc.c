// tc program for the VM tests: reads __sk_buff fields, sets mark and cb, copies bytes with bpf_skb_load_bytes.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int tc_mark(struct __sk_buff *skb)
{
    unsigned char first[4];
    if (bpf_skb_load_bytes(skb, 0, first, sizeof(first)))
        return TC_ACT_SHOT;
    skb->mark = skb->len + (skb->protocol << 16);
    skb->cb[0] = first[0];
    skb->cb[4] = skb->ifindex;
    return TC_ACT_OK;
}

SEC("socket")
int socket_len(struct __sk_buff *skb)
{
    skb->cb[1] = skb->len;
    return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
