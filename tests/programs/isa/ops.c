// Varied code for the disassembler oracle tests: compiled with -mcpu=v1, v2, v3, bpfel and bpfeb.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

__u64 total = 0;
__u32 seen = 0;
volatile const __u32 divisor = 7;

static __attribute__((noinline)) __u64 mix(__u64 a, __u32 b)
{
	__u64 r = a * 31 + b;
	r ^= r >> 7;
	r = (r << 3) | (r >> 61);
	if ((__s64)r < -5)
		r = -r;
	return r / (b | 1) + r % (divisor + 1);
}

static __attribute__((noinline)) __s32 narrow(__s32 x, __s32 y)
{
	__s32 z = (x >> 3) - y;
	if (z > 100 && y < -4)
		return z / 3;
	return (__u32)z >> 2;
}

SEC("xdp")
int ops(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 key = 1;
	__u64 *v;
	__u64 acc = 0;

	if (data + 16 > end)
		return XDP_PASS;
	__u16 proto = *(__u16 *)(data + 12);
	__u32 word = *(__u32 *)(data + 8);
	__u8 b = *(__u8 *)data;
	acc = bpf_ntohs(proto) + bpf_ntohl(word) + b;
	acc += bpf_be64_to_cpu(*(__u64 *)data);
	for (int i = 0; i < 4; i++)
		acc = mix(acc, i + b);
	acc += narrow((__s32)acc, (__s32)word);
	v = bpf_map_lookup_elem(&counts, &key);
	if (v) {
		__sync_fetch_and_add(v, 1);
		__sync_fetch_and_or(v, acc & 0xff00);
		__sync_fetch_and_and(v, ~0xfULL);
		__sync_fetch_and_xor(v, acc);
	}
	__sync_fetch_and_add(&total, acc);
	__sync_fetch_and_add(&seen, 1);
	*(volatile __u64 *)(data + 0) = 0x1122334455667788ULL;
	*(volatile __u32 *)(data + 8) = 0xdeadbeef;
	*(volatile __u16 *)(data + 12) = 0x8100;
	*(volatile __u8 *)(data + 14) = 0xff;
	bpf_printk("acc %llu", acc);
	return acc & 1 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
