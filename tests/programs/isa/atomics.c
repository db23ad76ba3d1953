// Fetching atomics, xchg and cmpxchg (-mcpu=v3), 32- and 64-bit, for the disassembler oracle tests.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 wide = 0;
__u32 narrow = 0;

SEC("tc")
int atomics(struct __sk_buff *skb)
{
	__u64 a = __sync_fetch_and_add(&wide, skb->len);
	a += __sync_fetch_and_or(&wide, 4);
	a += __sync_fetch_and_and(&wide, 0xf0);
	a += __sync_fetch_and_xor(&wide, a);
	a += __sync_lock_test_and_set(&wide, 9);
	a += __sync_val_compare_and_swap(&wide, 9, a);
	__u32 b = __sync_fetch_and_add(&narrow, 1);
	b += __sync_fetch_and_or(&narrow, 2);
	b += __sync_fetch_and_and(&narrow, 3);
	b += __sync_fetch_and_xor(&narrow, b);
	b += __sync_lock_test_and_set(&narrow, 5);
	b += __sync_val_compare_and_swap(&narrow, 5, b);
	return (a + b) & 1;
}

char LICENSE[] SEC("license") = "GPL";
