// QUEUE and STACK maps: every packet pushes its length into both; when a packet's first byte is
// 0xff it pops one value from each and returns (queue value - stack value) & 0xff + 4 as the
// verdict-shaped number. Final maps hold what is left.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_QUEUE);
    __uint(max_entries, 8);
    __uint(value_size, sizeof(__u32));
} fifo SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_STACK);
    __uint(max_entries, 8);
    __uint(value_size, sizeof(__u32));
} lifo SEC(".maps");

SEC("xdp")
int queue_stack(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u32 len = data_end - data;
    if (data + 1 > data_end)
        return XDP_ABORTED;

    if (*(__u8 *)data == 0xff) {
        __u32 first = 0, last = 0;
        if (bpf_map_pop_elem(&fifo, &first) || bpf_map_pop_elem(&lifo, &last))
            return XDP_DROP;
        return ((first - last) & 0xff) + 4;
    }
    // BPF_EXIST on a full queue/stack drops the oldest entry instead of failing.
    bpf_map_push_elem(&fifo, &len, BPF_EXIST);
    bpf_map_push_elem(&lifo, &len, BPF_EXIST);
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
