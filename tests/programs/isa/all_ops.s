# Every instruction LLVM 14 can assemble (-mcpu=v3, alu32), for the disassembler oracle tests.
# (llvm-mc 14 cannot parse the fetch atomics, xchg, cmpxchg nor callx: atomics.c covers those.)
	.text
	.globl	all_ops
	.type	all_ops,@function
all_ops:
	r0 = 1
	r0 = -1
	r1 = 2147483647
	r2 = -2147483648
	w0 = 2
	w3 = -7
	r1 = r2
	w1 = w2
	r1 += r2
	r1 += 5
	w1 += w2
	w1 += -5
	r1 -= r2
	r1 -= 5
	w1 -= w2
	w1 -= 5
	r1 *= r2
	r1 *= 5
	w1 *= w2
	w1 *= 5
	r1 /= r2
	r1 /= 5
	w1 /= w2
	w1 /= 5
	r1 |= r2
	r1 |= 5
	w1 |= w2
	w1 |= 5
	r1 &= r2
	r1 &= 5
	w1 &= w2
	w1 &= 5
	r1 <<= r2
	r1 <<= 5
	w1 <<= w2
	w1 <<= 5
	r1 >>= r2
	r1 >>= 5
	w1 >>= w2
	w1 >>= 5
	r1 ^= r2
	r1 ^= 5
	w1 ^= w2
	w1 ^= 5
	r1 s>>= r2
	r1 s>>= 5
	w1 s>>= w2
	w1 s>>= 5
	r0 = -r0
	w0 = -w0
	r0 = be16 r0
	r0 = be32 r0
	r0 = be64 r0
	r0 = le16 r0
	r0 = le32 r0
	r0 = le64 r0
	r1 = 0 ll
	r1 = 4294967296 ll
	r1 = -1 ll
	r1 = 81985529216486895 ll
	r0 = *(u8 *)skb[2]
	r0 = *(u16 *)skb[4]
	r0 = *(u32 *)skb[8]
	r0 = *(u8 *)skb[r3]
	r0 = *(u16 *)skb[r4]
	r0 = *(u32 *)skb[r5]
	r0 = *(u8 *)(r1 + 0)
	r0 = *(u16 *)(r1 + 2)
	r0 = *(u32 *)(r1 - 4)
	r0 = *(u64 *)(r10 - 8)
	w0 = *(u8 *)(r1 + 0)
	w0 = *(u16 *)(r1 + 2)
	w0 = *(u32 *)(r1 + 32767)
	*(u8 *)(r10 - 1) = r1
	*(u16 *)(r10 - 2) = r1
	*(u32 *)(r10 - 4) = r1
	*(u64 *)(r10 - 32768) = r1
	*(u8 *)(r10 - 1) = w1
	*(u16 *)(r10 - 2) = w1
	*(u32 *)(r10 - 4) = w1
	lock *(u32 *)(r1 + 0) += w2
	lock *(u64 *)(r1 + 8) += r2
	lock *(u64 *)(r1 + 8) |= r2
	lock *(u64 *)(r1 + 8) &= r2
	lock *(u64 *)(r1 + 8) ^= r2
	lock *(u32 *)(r1 + 0) |= w2
	lock *(u32 *)(r1 + 0) &= w2
	lock *(u32 *)(r1 + 0) ^= w2
.Ljumps:
	goto .Lend
	if r1 == r2 goto .Ljumps
	if r1 == 5 goto .Ljumps
	if r1 != r2 goto .Ljumps
	if r1 != -5 goto .Ljumps
	if r1 > r2 goto .Ljumps
	if r1 > 5 goto .Ljumps
	if r1 >= r2 goto .Ljumps
	if r1 >= 5 goto .Ljumps
	if r1 < r2 goto .Ljumps
	if r1 < 5 goto .Ljumps
	if r1 <= r2 goto .Ljumps
	if r1 <= 5 goto .Ljumps
	if r1 s> r2 goto .Ljumps
	if r1 s> 5 goto .Ljumps
	if r1 s>= r2 goto .Ljumps
	if r1 s>= 5 goto .Ljumps
	if r1 s< r2 goto .Ljumps
	if r1 s< 5 goto .Ljumps
	if r1 s<= r2 goto .Ljumps
	if r1 s<= 5 goto .Ljumps
	if w1 == w2 goto .Ljumps
	if w1 == 5 goto .Ljumps
	if w1 != w2 goto .Ljumps
	if w1 != 5 goto .Ljumps
	if w1 > w2 goto .Ljumps
	if w1 > 5 goto .Ljumps
	if w1 >= w2 goto .Ljumps
	if w1 >= 5 goto .Ljumps
	if w1 < w2 goto .Ljumps
	if w1 < 5 goto .Ljumps
	if w1 <= w2 goto .Ljumps
	if w1 <= 5 goto .Ljumps
	if w1 s> w2 goto .Ljumps
	if w1 s> 5 goto .Ljumps
	if w1 s>= w2 goto .Ljumps
	if w1 s>= 5 goto .Ljumps
	if w1 s< w2 goto .Ljumps
	if w1 s< 5 goto .Ljumps
	if w1 s<= w2 goto .Ljumps
	if w1 s<= -5 goto .Ljumps
	call 1
	call 12
.Lend:
	exit
