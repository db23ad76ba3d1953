// sharpbpf-test: libbpf-cannot-load
// (Tracing programs are refused by the kernel these tests run on, so libbpf cannot load it there.)
// A BPF iterator over a map's elements (`iter pin OBJ PATH map MAP`): one line "key value" per element of a
// u32 -> u64 map.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct seq_file;

struct bpf_iter_meta {
    struct seq_file *seq;
} __attribute__((preserve_access_index));

struct bpf_iter__bpf_map_elem {
    struct bpf_iter_meta *meta;
    void *key;
    void *value;
} __attribute__((preserve_access_index));

SEC("iter/bpf_map_elem")
int dump_elems(struct bpf_iter__bpf_map_elem *ctx)
{
    __u32 *key = ctx->key;
    __u64 *value = ctx->value;
    if (!key || !value)
        return 0;
    BPF_SEQ_PRINTF(ctx->meta->seq, "%u %llu\n", *key, *value);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
