// bpf-to-bpf calls: a static __noinline function (verified with the caller's context) and global
// __noinline functions (verified on their own, scalar arguments only), including a nested call.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 call_log[4];

static __noinline __u32 fold(__u32 x, __u32 y)
{
    return (x * 31) ^ (y + 7);
}

__noinline int mix(__u32 a, __u32 b)
{
    return (int)(fold(a, b) & 0xffff);
}

__noinline int classify(__u32 len, __u32 first_byte)
{
    if (first_byte & 1)
        return XDP_DROP;
    return len > 100 ? XDP_TX : XDP_PASS;
}

SEC("xdp")
int bpf_calls(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u32 len = data_end - data;
    __u32 first = 0;
    if (data + 1 <= data_end)
        first = *(__u8 *)data;
    call_log[0] = mix(len, first);
    call_log[1] = fold(first, len);
    call_log[2] += 1;
    return classify(len, first);
}

char LICENSE[] SEC("license") = "GPL";
