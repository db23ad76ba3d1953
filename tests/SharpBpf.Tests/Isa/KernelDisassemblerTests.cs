using SharpBpf.Tests.Support;
using System.Globalization;
using System.Text.Json;
using SharpBpf.Isa;
using SharpBpf.Isa.Disassembly;

namespace SharpBpf.Tests.Isa;

public class KernelDisassemblerTests
{
    private static string K(byte op, byte dst, byte src, short off, int imm, IKernelSymbols? symbols = null) =>
        KernelDisassembler.Format(new Instruction(op, dst, src, off, imm), default, symbols);

    [Fact]
    public void SpellsLikeTheKernel()
    {
        Assert.Equal("(79) r1 = *(u64 *)(r1 +104)", K(0x79, 1, 1, 104, 0));
        Assert.Equal("(b7) r0 = 0", K(0xb7, 0, 0, 0, 0));
        Assert.Equal("(85) call bpf_map_lookup_elem#1", K(0x85, 0, 0, 0, 1));
        Assert.Equal("(85) call pc+3", K(0x85, 0, 1, 0, 3));
        Assert.Equal("(85) call kernel-function#12345", K(0x85, 0, 2, 0, 12345));
        Assert.Equal("(85) call unknown#-61360", K(0x85, 0, 0, 0, -61360));
        Assert.Equal("(bf) r1 = r10", K(0xbf, 1, 10, 0, 0));
        Assert.Equal("(07) r1 += -8", K(0x07, 1, 0, 0, -8));
        Assert.Equal("(15) if r0 == 0x0 goto pc+2", K(0x15, 0, 0, 2, 0));
        Assert.Equal("(c5) if r3 s< 0xfffffffb goto pc-1", K(0xc5, 3, 0, -1, -5));
        Assert.Equal("(95) exit", K(0x95, 0, 0, 0, 0));
        Assert.Equal("(b4) w0 = 1", K(0xb4, 0, 0, 0, 1));
        Assert.Equal("(c3) lock *(u32 *)(r1 +0) += r2", K(0xc3, 1, 2, 0, 0));
        Assert.Equal("(db) r0 = atomic64_cmpxchg((u64 *)(r1 -8), r0, r2)", K(0xdb, 1, 2, -8, 0xf1));
        Assert.Equal("(dc) r1 = be16 r1", K(0xdc, 1, 0, 0, 16));
        Assert.Equal("(84) w1 = -w1", K(0x84, 1, 0, 0, 0));
        Assert.Equal("(20) r0 = *(u32 *)skb[12]", K(0x20, 0, 0, 0, 12));
        Assert.Equal("(48) r0 = *(u16 *)skb[r3 + 4]", K(0x48, 0, 3, 0, 4));
        Assert.Equal("(05) goto pc-5", K(0x05, 0, 0, -5, 0));
        Assert.Equal("(7a) *(u64 *)(r10 -8) = 7", K(0x7a, 10, 0, -8, 7));
        Assert.Equal("(18) r1 = 0x1122334455667788",
            KernelDisassembler.Format(new Instruction(0x18, 1, 0, 0, 0x55667788), new Instruction(0, 0, 0, 0, 0x11223344)));
    }

    [Fact]
    public void SpellsIsaV4AndNewerKernelForms()
    {
        Assert.Equal("(3f) r1 s/= r2", K(0x3f, 1, 2, 1, 0));
        Assert.Equal("(94) w1 s%= 3", K(0x94, 1, 0, 1, 3));
        Assert.Equal("(bf) r1 = (s8)r2", K(0xbf, 1, 2, 8, 0));
        Assert.Equal("(bc) w1 = (s16)w2", K(0xbc, 1, 2, 16, 0));
        Assert.Equal("(91) r1 = *(s8 *)(r2 -1)", K(0x91, 1, 2, -1, 0));
        Assert.Equal("(d7) r1 = bswap64 r1", K(0xd7, 1, 0, 0, 64));
        Assert.Equal("(06) gotol pc+70000", K(0x06, 0, 0, 0, 70000));
        Assert.Equal("(e5) may_goto pc+4", K(0xe5, 0, 0, 4, 0));
        Assert.Equal("(bf) r1 = addr_space_cast(r2, 0, 1)", K(0xbf, 1, 2, 1, 1));
        Assert.Equal("(db) r1 = load_acquire((u64 *)(r2 +8))", K(0xdb, 1, 2, 8, 0x100));
        Assert.Equal("(c3) store_release((u32 *)(r1 +0), w2)", K(0xc3, 1, 2, 0, 0x110));
        Assert.Equal("(c2) nospec", K(0xc2, 0, 0, 0, 0));
        Assert.Equal("BUG_ldx_21", K(0x21, 0, 0, 0, 0));
        Assert.Equal("BUG_ld_08", K(0x08, 0, 0, 0, 0));
        Assert.Equal("BUG_db", K(0xdb, 1, 2, 0, 0x33));
    }

    [Fact]
    public void BpftoolSymbolsNameMapsAndSubprograms()
    {
        var symbols = new BpftoolXlatedSymbols();
        Assert.Equal("(18) r1 = map[id:5]", KernelDisassembler.Format(new Instruction(0x18, 1, 1, 0, 5), default, symbols));
        Assert.Equal("(18) r1 = map[id:5][0]+8",
            KernelDisassembler.Format(new Instruction(0x18, 1, 2, 0, 5), new Instruction(0, 0, 0, 0, 8), symbols));
        Assert.Equal("(18) r2 = subprog[-47]", KernelDisassembler.Format(new Instruction(0x18, 2, 4, 0, -47), default, symbols));
        Assert.Equal("(85) call pc+66", KernelDisassembler.Format(new Instruction(0x85, 0, 1, 66, 3), default, symbols));
    }

    /// <summary>A dump captured with bpftool 7.1 on this kind of machine (see shared/reference/bpftool-7.1/README.md).</summary>
    [SkippableFact]
    public void MatchesCapturedBpftoolJson()
    {
        var path = SharedData.Require("reference/bpftool-7.1/prog_dump_xlated_opcodes.p.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        int n = 0;
        foreach (var entry in doc.RootElement.EnumerateArray())
        {
            var op = entry.GetProperty("opcodes");
            byte Hex(string s) => byte.Parse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var off = op.GetProperty("off").EnumerateArray().Select(e => Hex(e.GetString()!)).ToArray();
            var imm = op.GetProperty("imm").EnumerateArray().Select(e => Hex(e.GetString()!)).ToArray();
            var insn = new Instruction(Hex(op.GetProperty("code").GetString()!), Hex(op.GetProperty("dst_reg").GetString()!),
                Hex(op.GetProperty("src_reg").GetString()!), BitConverter.ToInt16(off), BitConverter.ToInt32(imm));
            var next = imm.Length == 12 ? new Instruction(0, 0, 0, 0, BitConverter.ToInt32(imm, 8)) : default;
            Assert.Equal(entry.GetProperty("disasm").GetString(), KernelDisassembler.Format(insn, next, new BpftoolXlatedSymbols()));
            n++;
        }
        Assert.Equal(39, n);
    }
}
