// An XDP router in the style of xdp-tutorial's xdp_router_func and xdp-tools' xdp_forward: bpf_fib_lookup on the IPv4
// destination from the ingress interface, then rewrite the MAC addresses and redirect on success; counts each verdict.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define AF_INET 2

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u64);
} verdicts SEC(".maps");

struct bpf_fib_lookup last;

SEC("xdp")
int xdp_router(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip = data + sizeof(*eth);
    if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    struct bpf_fib_lookup params = {};
    params.family = AF_INET;
    params.tos = ip->tos;
    params.l4_protocol = ip->protocol;
    params.tot_len = bpf_ntohs(ip->tot_len);
    params.ipv4_src = ip->saddr;
    params.ipv4_dst = ip->daddr;
    params.ifindex = ctx->ingress_ifindex;
    long rc = bpf_fib_lookup(ctx, &params, sizeof(params), ip->ttl == 1 ? BPF_FIB_LOOKUP_SKIP_NEIGH : 0);
    __u32 slot = rc < 0 ? 15 : rc & 15;
    __u64 *count = bpf_map_lookup_elem(&verdicts, &slot);
    if (count)
        (*count)++;
    last = params;
    if (rc != BPF_FIB_LKUP_RET_SUCCESS)
        return rc == BPF_FIB_LKUP_RET_BLACKHOLE ? XDP_DROP : XDP_PASS;
    __builtin_memcpy(eth->h_dest, params.dmac, ETH_ALEN);
    __builtin_memcpy(eth->h_source, params.smac, ETH_ALEN);
    return bpf_redirect(params.ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
