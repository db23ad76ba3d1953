// sharpbpf-test: parse-only libbpf-cannot-load
// CO-RE on the program's own structure (core_packet.h) laid over packet bytes: direct loads whose offsets and
// sizes the loader patches, bitfields, field existence and sizes. Meant to be loaded with a target BTF that
// describes struct core_hdr (the running kernel has none, so against vmlinux every access is poisoned).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "core_packet.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct core_out);
} core_results SEC(".maps");

#define HEADROOM 64 /* bytes the verifier may assume: the target layouts tests use fit in them */

SEC("xdp")
int core_packet(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct core_hdr *h = data;
    __u32 key = 0;
    if (data + HEADROOM > end)
        return XDP_DROP;
    struct core_out *o = bpf_map_lookup_elem(&core_results, &key);
    if (!o)
        return XDP_ABORTED;
    o->kind = h->kind;
    o->port = h->port;
    o->seq = h->seq;
    o->flags = BPF_CORE_READ_BITFIELD(h, flags);
    o->prio = BPF_CORE_READ_BITFIELD(h, prio);
    o->delta = h->delta;
    if (bpf_core_enum_value_exists(enum core_kind, CORE_KIND_PING))
        o->kind += bpf_core_enum_value(enum core_kind, CORE_KIND_PING); // ld_imm64; dead code when the target lacks it
    o->missing_exists = bpf_core_field_exists(h->missing);
    if (bpf_core_field_exists(h->missing))
        o->kind = h->missing; // dead code when the target lacks the field
    o->seq_offset = bpf_core_field_offset(h->seq);
    o->seq_size = bpf_core_field_size(h->seq);
    o->hdr_size = bpf_core_type_size(struct core_hdr);
    o->next = (__u64)h->next;
    return XDP_PASS;
}

/* Reads the field the target lacks without checking: poisoned, so the verifier rejects it and the VM faults. */
SEC("xdp")
int core_unguarded(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct core_hdr *h = data;
    if (data + HEADROOM > end)
        return XDP_DROP;
    return h->missing;
}

char LICENSE[] SEC("license") = "GPL";
