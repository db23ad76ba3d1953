// XDP redirects the way xdp-tutorial and xdp-tools programs do them: bpf_redirect_map into a DEVMAP, DEVMAP_HASH,
// CPUMAP and XSKMAP (empty in a test run, so the fallback action in the flags decides, except with BPF_F_BROADCAST),
// bpf_redirect to an ifindex, and lookups in a devmap. The way is picked from the first byte and the length.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_DEVMAP);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, __u32);
} tx_port SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, struct bpf_devmap_val);
} tx_hash SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_CPUMAP);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, struct bpf_cpumap_val);
} cpus SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_XSKMAP);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u32);
} xsks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, __u64);
} actions SEC(".maps");

__u64 devmap_hits;

SEC("xdp")
int xdp_redirect_ways(struct xdp_md *ctx)
{
    unsigned char *data = (void *)(long)ctx->data;
    unsigned char *data_end = (void *)(long)ctx->data_end;
    if (data + 1 > data_end)
        return XDP_ABORTED;
    __u32 key = data[0] & 7;
    __u32 way = (data[0] + (__u32)(data_end - data)) % 8;
    long action;
    if (bpf_map_lookup_elem(&tx_port, &key))
        devmap_hits++;
    switch (way) {
    case 0: action = bpf_redirect_map(&tx_port, key, XDP_PASS); break;
    case 1: action = bpf_redirect_map(&tx_hash, key, XDP_DROP); break;
    case 2: action = bpf_redirect_map(&cpus, key, 0); break;
    case 3: action = bpf_redirect_map(&xsks, key, XDP_PASS); break;
    case 4: action = bpf_redirect_map(&tx_port, key, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS); break;
    case 5: action = bpf_redirect_map(&cpus, key, BPF_F_BROADCAST | XDP_PASS); break;
    case 6: action = bpf_redirect(key + 1, 0); break;
    default: action = bpf_redirect(key + 1, 1); break;
    }
    __u32 slot = action & 7;
    __u64 *count = bpf_map_lookup_elem(&actions, &slot);
    if (count)
        (*count)++;
    return action;
}

char LICENSE[] SEC("license") = "GPL";
