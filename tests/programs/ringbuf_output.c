// Ring buffer output: every packet emits one fixed-size record with bpf_ringbuf_output, and
// packets starting with an even byte also emit one through bpf_ringbuf_reserve/submit.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
    __u32 kind;
    __u32 length;
    __u8 head[16];
};

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

__u64 emitted, failed;

SEC("xdp")
int ringbuf_output(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct event e = { .kind = 1, .length = data_end - data };
    if (data + sizeof(e.head) <= data_end)
        __builtin_memcpy(e.head, data, sizeof(e.head));
    if (bpf_ringbuf_output(&events, &e, sizeof(e), 0))
        failed++;
    else
        emitted++;

    if (data + 1 <= data_end && (*(__u8 *)data & 1) == 0) {
        struct event *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
        if (!r) {
            failed++;
            return XDP_PASS;
        }
        r->kind = 2;
        r->length = e.length;
        __builtin_memcpy(r->head, e.head, sizeof(r->head));
        bpf_ringbuf_submit(r, 0);
        emitted++;
    }
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
