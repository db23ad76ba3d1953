// tc and socket filter programs for the VM tests: __sk_buff fields, mark and cb, bpf_skb_load_bytes, LD_ABS.
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

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

/* Legacy packet loads (LD_ABS): big-endian reads from the network header; out of bounds ends the program with 0. */
SEC("socket")
int socket_ldabs(struct __sk_buff *skb)
{
    unsigned long long proto = load_byte(skb, 9);
    unsigned long long total = load_half(skb, 2);
    unsigned long long daddr = load_word(skb, 16);
    if (skb->len > 40)
        total += load_byte(skb, 4000);
    return (int)(proto + total + (daddr & 0xff) * 1000);
}

char LICENSE[] SEC("license") = "GPL";
