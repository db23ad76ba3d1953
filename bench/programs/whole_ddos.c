// Whole-path benchmark: a DDoS filter, a hash blacklist of IPv4 sources and per-CPU hash counters per verdict.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 10000);
    __type(key, __u32);
    __type(value, __u64);
} blacklist SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, __u64);
} verdicts SEC(".maps");

static __always_inline int count(__u32 verdict)
{
    __u64 *n = bpf_map_lookup_elem(&verdicts, &verdict);
    if (n) {
        *n += 1;
    } else {
        __u64 one = 1;
        bpf_map_update_elem(&verdicts, &verdict, &one, BPF_NOEXIST);
    }
    return verdict;
}

SEC("xdp")
int whole_ddos(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end)
        return count(XDP_DROP);
    if (eth->h_proto != bpf_htons(ETH_P_IP))
        return count(XDP_PASS);
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > data_end)
        return count(XDP_DROP);
    __u32 saddr = ip->saddr;
    __u64 *hits = bpf_map_lookup_elem(&blacklist, &saddr);
    if (hits) {
        __sync_fetch_and_add(hits, 1);
        return count(XDP_DROP);
    }
    return count(XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
