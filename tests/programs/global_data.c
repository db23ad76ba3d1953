// Global data: .rodata constants, .data initialised counters and .bss zeroed counters, all
// updated from the program; the verdict comes from a .rodata table.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 verdict_for_length_class[4] = { XDP_PASS, XDP_DROP, XDP_TX, XDP_PASS };
const volatile __u32 length_class_shift = 6;

__u64 packets_seen = 1000;      // .data
__u32 last_length = 0xdeadbeef; // .data
__u64 bytes_seen;               // .bss
__u32 class_hits[4];            // .bss

SEC("xdp")
int global_data(struct xdp_md *ctx)
{
    __u32 len = ctx->data_end - ctx->data;
    __u32 cls = len >> length_class_shift;
    if (cls > 3)
        cls = 3;
    packets_seen++;
    bytes_seen += len;
    last_length = len;
    class_hits[cls]++;
    return verdict_for_length_class[cls];
}

char LICENSE[] SEC("license") = "GPL";
