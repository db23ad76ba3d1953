// XDP packet access through helpers, as xdp-tools programs use them: bpf_xdp_load_bytes/store_bytes (in range, past the
// end, beyond 0xffff) and bpf_perf_event_output with packet bytes appended (BPF_F_CTXLEN_MASK), which a test run
// answers with ENOENT (no perf event is open) or EFAULT (more bytes than the packet has).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u32);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, __s64);
} results SEC(".maps");

static void note(__u32 slot, __s64 value)
{
    __s64 *r = bpf_map_lookup_elem(&results, &slot);
    if (r)
        *r += value;
}

SEC("xdp")
int xdp_bytes(struct xdp_md *ctx)
{
    __u32 len = ctx->data_end - ctx->data;
    unsigned char mac[12];
    long r = bpf_xdp_load_bytes(ctx, 0, mac, sizeof(mac));
    note(0, r);
    if (r == 0) {
        /* swap the Ethernet addresses, as a reflector does */
        note(1, bpf_xdp_store_bytes(ctx, 0, mac + 6, 6));
        note(1, bpf_xdp_store_bytes(ctx, 6, mac, 6));
    }
    __u32 tail;
    note(2, bpf_xdp_load_bytes(ctx, len - 4, &tail, 4));
    note(3, bpf_xdp_load_bytes(ctx, len - 3, &tail, 4));
    note(3, bpf_xdp_load_bytes(ctx, 0x10000, &tail, 4));
    note(4, bpf_xdp_store_bytes(ctx, len, &tail, 1));
    __u64 sample = len;
    note(5, bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU | ((__u64)len << 32), &sample, sizeof(sample)));
    note(6, bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU | ((__u64)(len + 1) << 32), &sample, sizeof(sample)));
    note(7, bpf_perf_event_output(ctx, &events, 70, &sample, sizeof(sample)));
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
