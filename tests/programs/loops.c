// Loops: a bounded for-loop summing packet bytes (the verifier walks it), and bpf_loop with a
// callback computing a small checksum over a fixed number of iterations.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define MAX_BYTES 64

__u64 byte_sum;
__u64 loop_result;
__u64 loop_iterations;

struct loop_state {
    __u64 acc;
    __u32 seed;
};

static long step(__u32 index, void *arg)
{
    struct loop_state *s = arg;
    s->acc = s->acc * 33 + (s->seed ^ index);
    return s->acc > 0xffffffffffULL ? 1 : 0; // stop early once it grows large
}

SEC("xdp")
int loops(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u64 sum = 0;
    for (int i = 0; i < MAX_BYTES; i++) {
        __u8 *p = data + i;
        if ((void *)(p + 1) > data_end)
            break;
        sum += *p;
    }
    byte_sum = sum;

    struct loop_state s = { .acc = 5381, .seed = (__u32)sum };
    long n = bpf_loop(20, step, &s, 0);
    loop_result = s.acc;
    loop_iterations = n;
    return sum & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
