// Programs that attach to a sockmap (sk_skb stream parser and verdict, sk_skb verdict, sk_msg verdict) and to a
// network namespace's flow dissector, for `prog attach|detach`. They pass everything on.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_SOCKMAP);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u32);
} sock_map SEC(".maps");

SEC("sk_skb/stream_parser")
int stream_parser(struct __sk_buff *skb)
{
    return skb->len;
}

SEC("sk_skb/stream_verdict")
int stream_verdict(struct __sk_buff *skb)
{
    return SK_PASS;
}

SEC("sk_msg")
int msg_verdict(struct sk_msg_md *msg)
{
    return SK_PASS;
}

SEC("flow_dissector")
int dissect(struct __sk_buff *skb)
{
    return BPF_FLOW_DISSECTOR_CONTINUE;  // the kernel's own dissector carries on
}

char LICENSE[] SEC("license") = "GPL";
