// LPM trie routing: the program installs a small routing table itself (idempotent updates), then
// looks up the IPv4 destination; the route's action is the verdict and a per-route hit counter
// counts the match. No route: XDP_PASS.
#include "packet_parse.h"

struct route_key {
    __u32 prefixlen;
    __u8 addr[4];
};

struct route {
    __u32 action;
    __u32 id;
};

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __uint(max_entries, 16);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, struct route_key);
    __type(value, struct route);
} routes SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, __u64);
} route_hits SEC(".maps");

static __always_inline void add_route(__u8 a, __u8 b, __u8 c, __u8 d, __u32 len, __u32 action, __u32 id)
{
    struct route_key key = { .prefixlen = len, .addr = { a, b, c, d } };
    struct route value = { .action = action, .id = id };
    bpf_map_update_elem(&routes, &key, &value, BPF_ANY);
}

SEC("xdp")
int lpm_routing(struct xdp_md *ctx)
{
    add_route(10, 0, 0, 0, 8, XDP_PASS, 1);
    add_route(10, 1, 0, 0, 16, XDP_DROP, 2);
    add_route(10, 1, 2, 0, 24, XDP_TX, 3);
    add_route(10, 1, 2, 3, 32, XDP_ABORTED, 4);
    add_route(192, 168, 0, 0, 16, XDP_DROP, 5);

    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct iphdr *ip = parse_ipv4(data, data_end);
    if (!ip)
        return XDP_PASS;

    struct route_key key = { .prefixlen = 32 };
    __builtin_memcpy(key.addr, &ip->daddr, 4);
    struct route *r = bpf_map_lookup_elem(&routes, &key);
    if (!r)
        return XDP_PASS;
    __u32 id = r->id;
    __u64 *hits = bpf_map_lookup_elem(&route_hits, &id);
    if (hits)
        __sync_fetch_and_add(hits, 1);
    return r->action;
}

char LICENSE[] SEC("license") = "GPL";
