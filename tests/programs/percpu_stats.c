// Per-CPU array statistics: slot 0 counts every frame, slot 1 IPv4 frames, slot 2 the rest;
// each slot holds packets and bytes. Results are per CPU: compare sums over CPUs.
#include "packet_parse.h"

struct stats {
    __u64 packets;
    __u64 bytes;
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 3);
    __type(key, __u32);
    __type(value, struct stats);
} stats SEC(".maps");

static __always_inline void count(__u32 slot, __u64 bytes)
{
    struct stats *s = bpf_map_lookup_elem(&stats, &slot);
    if (s) {
        s->packets++;
        s->bytes += bytes;
    }
}

SEC("xdp")
int percpu_stats(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u64 len = data_end - data;
    count(0, len);
    count(parse_ipv4(data, data_end) ? 1 : 2, len);
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
