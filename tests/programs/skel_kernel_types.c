// Skeleton test: kernel UAPI types as global data and map values — nested anonymous unions of structs
// (bpf_sock_tuple), little-endian header bitfields (iphdr), aligned pointer unions (__sk_buff), arrays of
// structs with arrays inside (in6_addr), spin locks in map values.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>

struct bpf_sock_tuple tuple;
struct iphdr ip;
struct ethhdr eth;
struct __sk_buff skb_copy;
struct in6_addr addrs[2];

struct locked {
    struct bpf_spin_lock lock;
    __u64 value;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct locked);
} locked_values SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 8);
    __type(key, struct bpf_sock_tuple);
    __type(value, struct iphdr);
} by_tuple SEC(".maps");

SEC("socket")
int keep(struct __sk_buff *skb)
{
    ip.ihl = 5;
    ip.version = 4;
    ip.ttl = 64;
    tuple.ipv4.sport = 1;
    eth.h_proto = 8;
    skb_copy.len = skb->len;
    addrs[1].in6_u.u6_addr8[15] = 1;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
