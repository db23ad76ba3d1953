// Benchmark program: 1,000 iterations of a small ALU loop (add, xor, shifts), seeded from the packet length.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int alu_loop(struct xdp_md *ctx)
{
    __u64 r0 = ctx->data_end - ctx->data;
#pragma clang loop unroll(disable)
    for (__u64 i = 1000; i != 0; i--) {
        r0 += i;
        r0 ^= 0x5a;
        r0 <<= 1;
        r0 >>= 1;
    }
    return r0 == 12345 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
