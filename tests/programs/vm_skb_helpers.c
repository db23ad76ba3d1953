// tc helpers tunnel and load-balancer programs call: bpf_skb_set_tunnel_key/get_tunnel_key (before a set, after it,
// with the wrong family, an older struct size) and bpf_skb_adjust_room (grow after the IP header, encapsulate after
// the MAC header, a second encapsulation, shrink, a non-IP frame), bpf_skb_pull_data, plus skb->pkt_type, len and
// protocol afterwards.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __s64);
} results SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, __u64);
} pkt_types SEC(".maps");

struct bpf_tunnel_key last_key;

static void note(__u32 slot, __s64 value)
{
    __s64 *r = bpf_map_lookup_elem(&results, &slot);
    if (r)
        *r += value;
}

SEC("tc")
int tc_helpers(struct __sk_buff *skb)
{
    __u32 type = skb->pkt_type & 7;
    __u64 *count = bpf_map_lookup_elem(&pkt_types, &type);
    if (count)
        (*count)++;

    struct bpf_tunnel_key key = {};
    note(0, bpf_skb_get_tunnel_key(skb, &key, sizeof(key), 0));
    key.tunnel_id = skb->len;
    key.remote_ipv4 = 0x0a000001;
    key.local_ipv4 = 0x0a000002 + skb->len;
    key.tunnel_ttl = 64;
    key.tunnel_tos = skb->len & 0xfc;
    __u64 flags = (skb->len & 1) ? BPF_F_ZERO_CSUM_TX : BPF_F_DONT_FRAGMENT | BPF_F_SEQ_NUMBER;
    note(1, bpf_skb_set_tunnel_key(skb, &key, sizeof(key), flags));
    note(2, bpf_skb_get_tunnel_key(skb, &last_key, sizeof(last_key), BPF_F_TUNINFO_FLAGS));
    note(3, bpf_skb_get_tunnel_key(skb, &key, sizeof(key), BPF_F_TUNINFO_IPV6));
    note(3, bpf_skb_get_tunnel_key(skb, &key, 28, 0));
    note(4, bpf_skb_set_tunnel_key(skb, &key, 30, 0));

    long r;
    switch (skb->len % 4) {
    case 0:
        r = bpf_skb_adjust_room(skb, 8, BPF_ADJ_ROOM_NET, 0);
        break;
    case 1:
        r = bpf_skb_adjust_room(skb, 20, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_ENCAP_L3_IPV4);
        note(6, bpf_skb_adjust_room(skb, 20, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_ENCAP_L3_IPV6));
        break;
    case 2:
        r = bpf_skb_adjust_room(skb, -4, BPF_ADJ_ROOM_NET, 0);
        break;
    default:
        r = bpf_skb_adjust_room(skb, 40, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 | BPF_F_ADJ_ROOM_ENCAP_L4_UDP);
        break;
    }
    note(5, r);
    note(7, bpf_skb_adjust_room(skb, 0x1000, BPF_ADJ_ROOM_NET, 0));
    note(8, bpf_skb_adjust_room(skb, 4, 7, 0));
    note(11, bpf_skb_pull_data(skb, 0));
    note(11, bpf_skb_pull_data(skb, skb->len));
    note(12, bpf_skb_pull_data(skb, skb->len + 1));
    note(9, skb->len);
    note(10, skb->protocol);
    /* mark the start of the grown room so the output packet shows where it went */
    void *data = (void *)(long)skb->data;
    void *data_end = (void *)(long)skb->data_end;
    if (r == 0 && data + ETH_HLEN + 1 <= data_end)
        *((unsigned char *)data + ETH_HLEN) ^= 0x80;
    return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
