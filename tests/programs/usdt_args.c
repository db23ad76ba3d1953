// USDT handlers written against libbpf's <bpf/usdt.bpf.h>, unchanged: each records, in its group of 8 slots of
// `seen`, the hit count (slot 0), the arguments of the last hit (slots 1..5), bpf_usdt_arg_cnt (6), bpf_usdt_cookie (7).
// Groups: 0 sharpbpf:registers, 1 sharpbpf:stack, 2 sharpbpf_lib:fired, 3 sharpbpf_lib:gated.
#define __TARGET_ARCH_x86
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 32);
    __type(key, __u32);
    __type(value, __s64);
} seen SEC(".maps");

static void put(__u32 group, __u32 slot, __s64 value)
{
    __u32 key = group * 8 + slot;
    __s64 *v = bpf_map_lookup_elem(&seen, &key);
    if (!v)
        return;
    if (slot == 0)
        __sync_fetch_and_add(v, 1);
    else
        *v = value;
}

static void hit(struct pt_regs *ctx, __u32 group)
{
    put(group, 0, 1);
    put(group, 6, bpf_usdt_arg_cnt(ctx));
    put(group, 7, bpf_usdt_cookie(ctx));
}

SEC("usdt")
int BPF_USDT(on_registers, int i, long big, short negative, unsigned char byte, int constant)
{
    hit(ctx, 0);
    put(0, 1, i);
    put(0, 2, big);
    put(0, 3, negative);
    put(0, 4, byte);
    put(0, 5, constant);
    return 0;
}

SEC("usdt")
int BPF_USDT(on_stack, int tripled, long negative, unsigned short half)
{
    hit(ctx, 1);
    put(1, 1, tripled);
    put(1, 2, negative);
    put(1, 3, half);
    return 0;
}

SEC("usdt")
int BPF_USDT(on_lib_fired, int i, long square)
{
    hit(ctx, 2);
    put(2, 1, i);
    put(2, 2, square);
    return 0;
}

SEC("usdt")
int BPF_USDT(on_lib_gated, int tenfold)
{
    hit(ctx, 3);
    put(3, 1, tenfold);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
