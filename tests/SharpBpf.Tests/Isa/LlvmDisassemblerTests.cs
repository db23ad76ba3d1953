using SharpBpf.Isa;
using SharpBpf.Isa.Disassembly;

namespace SharpBpf.Tests.Isa;

public class LlvmDisassemblerTests
{
    private static string F(byte op, byte dst, byte src, short off, int imm, LlvmDisassemblyOptions o = default) =>
        LlvmDisassembler.Format(new Instruction(op, dst, src, off, imm), default, o);

    [Fact]
    public void SpellsTheCommonInstructionsLikeLlvmObjdump()
    {
        Assert.Equal("r0 = *(u32 *)(r1 + 0)", F(0x61, 0, 1, 0, 0));
        Assert.Equal("w0 = 2", F(0xb4, 0, 0, 0, 2));
        Assert.Equal("r1 += r2", F(0x0f, 1, 2, 0, 0));
        Assert.Equal("if w1 s> 5 goto +3", F(0x66, 1, 0, 3, 5));
        Assert.Equal("call 1", F(0x85, 0, 0, 0, 1));
        Assert.Equal("exit", F(0x95, 0, 0, 0, 0));
        Assert.Equal("*(u64 *)(r10 - 8) = r1", F(0x7b, 10, 1, -8, 0));
        Assert.Equal("lock *(u32 *)(r1 + 0) += r2", F(0xc3, 1, 2, 0, 0));
        Assert.Equal("r0 = atomic_fetch_add((u64 *)(r1 + 0), r0)", F(0xdb, 1, 0, 0, 1));
        Assert.Equal("r0 = be16 r0", F(0xdc, 0, 0, 0, 16));
        Assert.Equal("r0 = -r0", F(0x87, 0, 0, 0, 0));
        Assert.Equal("r1 = 0 ll", LlvmDisassembler.Format(new Instruction(0x18, 1, 0, 0, 0), default));
        Assert.Equal("r1 = 0x100000005 ll",
            LlvmDisassembler.Format(new Instruction(0x18, 1, 0, 0, 5), new Instruction(0, 0, 0, 0, 1), immHex: true));
        Assert.Equal("r1 = *(u64 *)(r2 - 0x8000)", F(0x79, 1, 2, short.MinValue, 0, LlvmDisassemblyOptions.ImmHex));
    }

    [Fact]
    public void Llvm14CannotDecodeModJsetStoreImmediateOrIsaV4()
    {
        Assert.Equal("<unknown>", F(0x9f, 1, 2, 0, 0));          // mod
        Assert.Equal("<unknown>", F(0x45, 1, 0, 2, 4));          // jset
        Assert.Equal("<unknown>", F(0x7a, 10, 0, -8, 1));        // st imm
        Assert.Equal("<unknown>", F(0x91, 1, 2, 0, 0));          // ldxsb
        Assert.Equal("<unknown>", F(0xd7, 1, 0, 0, 16));         // bswap
        Assert.Equal("<unknown>", F(0x06, 0, 0, 0, 5));          // gotol
        Assert.Equal("r1 /= r2", F(0x3f, 1, 2, 1, 0));           // sdiv: LLVM 14 ignores the offset
        Assert.Equal("r1 = r2", F(0xbf, 1, 2, 8, 0));            // movsx likewise
        Assert.Equal("<unknown>", F(0x07, 12, 0, 0, 1));         // r12 does not exist
    }

    [Fact]
    public void ModernIsaSpellsWhatNewerLlvmPrints()
    {
        const LlvmDisassemblyOptions m = LlvmDisassemblyOptions.ModernIsa;
        Assert.Equal("r1 %= r2", F(0x9f, 1, 2, 0, 0, m));
        Assert.Equal("w1 %= 3", F(0x94, 1, 0, 0, 3, m));
        Assert.Equal("if r1 & 4 goto +2", F(0x45, 1, 0, 2, 4, m));
        Assert.Equal("*(u64 *)(r10 - 8) = 1", F(0x7a, 10, 0, -8, 1, m));
        Assert.Equal("r1 = *(s8 *)(r2 + 0)", F(0x91, 1, 2, 0, 0, m));
        Assert.Equal("r1 = bswap16 r1", F(0xd7, 1, 0, 0, 16, m));
        Assert.Equal("gotol +5", F(0x06, 0, 0, 0, 5, m));
        Assert.Equal("r1 s/= r2", F(0x3f, 1, 2, 1, 0, m));
        Assert.Equal("w1 s%= 3", F(0x94, 1, 0, 1, 3, m));
        Assert.Equal("r1 = (s8)r2", F(0xbf, 1, 2, 8, 0, m));
        Assert.Equal("w1 = (s16)w2", F(0xbc, 1, 2, 16, 0, m));
        Assert.Equal("w2 = atomic_fetch_or((u32 *)(r1 + 0), w2)", F(0xc3, 1, 2, 0, 0x41, m));
        Assert.Equal("lock *(u32 *)(r1 + 0) ^= w2", F(0xc3, 1, 2, 0, 0xa0, m));
        Assert.Equal("w0 = cmpxchg32_32(r1 + 0, w0, w2)", F(0xc3, 1, 2, 0, 0xf1, m));
        Assert.Equal("callx r3", F(0x8d, 3, 0, 0, 0, m));
    }

    [Fact]
    public void TryFormatReportsAShortBufferAndNeverAllocates()
    {
        var insn = new Instruction(0x7b, 10, 1, -8, 0);
        Span<char> small = stackalloc char[5];
        Assert.False(LlvmDisassembler.TryFormat(insn, default, small, out int n));
        Assert.Equal(0, n);
        Span<char> big = stackalloc char[LlvmDisassembler.MaxLength];
        LlvmDisassembler.TryFormat(insn, default, big, out _);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
            Assert.True(LlvmDisassembler.TryFormat(insn, default, big, out n));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal("*(u64 *)(r10 - 8) = r1", big[..n].ToString());
    }

    [Fact]
    public void LongestTextFitsMaxLength()
    {
        var buffer = new char[LlvmDisassembler.MaxLength];
        foreach (var o in new[] { LlvmDisassemblyOptions.None, LlvmDisassemblyOptions.ImmHex | LlvmDisassemblyOptions.ModernIsa })
            foreach (var insn in LlvmDisassemblerOracleTests.Sweep())
                Assert.True(LlvmDisassembler.TryFormat(insn, new Instruction(0, 0, 0, 0, int.MinValue),
                    buffer, out _, o), insn.ToString());
    }
}
