using SharpBpf.Isa;
using SharpBpf.Isa.Disassembly;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Isa;

/// <summary>Our LLVM dialect against the real llvm-objdump 14, over every opcode with many field values.</summary>
public class LlvmDisassemblerOracleTests
{
    private static readonly int[] Imms =
        [0, 1, -1, 5, 16, 32, 64, 0x41, 0xe1, 0xf1, 0x100, 0x7fffffff, int.MinValue, 0x10000, -8, 11, 12];
    private static readonly short[] Offsets = [0, 1, -1, 3, -8, short.MinValue, short.MaxValue, 8, 16, 32];

    /// <summary>All 256 opcodes: one field varied at a time, plus seeded random combinations; every atomic imm byte.</summary>
    public static Instruction[] Sweep()
    {
        var list = new List<Instruction>();
        var random = new Random(20260322);
        void Add(Instruction insn)
        {
            // LLVM 14 decodes this one as its internal "lea" pseudo with a register left over from the previous
            // instruction: not reproducible, and no real object holds it. Documented in LlvmDisassembler.
            if (insn is { Opcode: Opcodes.LdDw, Dst: 0, Src: 2, Offset: 0, Imm: 0 })
                return;
            list.Add(insn);
            if (insn.IsWide)
                list.Add(new Instruction(0, 0, 0, 0, random.Next(1, int.MaxValue)));
        }
        for (int op = 0; op < 256; op++)
        {
            var o = (byte)op;
            Add(new Instruction(o, 1, 2, 0, 0));
            foreach (byte r in new byte[] { 0, 10, 11, 12, 15 })
            {
                Add(new Instruction(o, r, 2, 0, 0));
                Add(new Instruction(o, 1, r, 0, 0));
            }
            foreach (var off in Offsets)
                Add(new Instruction(o, 1, 2, off, 0));
            foreach (var imm in Imms)
                Add(new Instruction(o, 1, 2, 0, imm));
            for (int i = 0; i < 12; i++)
                Add(new Instruction(o, (byte)random.Next(0, 16), (byte)random.Next(0, 16),
                    Offsets[random.Next(Offsets.Length)], Imms[random.Next(Imms.Length)]));
        }
        foreach (byte op in new byte[] { 0xc3, 0xdb })
            for (int imm = 0; imm < 256; imm++)
            {
                Add(new Instruction(op, 1, 2, -4, imm));
                Add(new Instruction(op, 3, 0, 7, imm | 0x1200));
            }
        return [.. list];
    }

    [SkippableTheory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void EveryOpcodeMatchesLlvmObjdump14(bool bigEndian, bool immHex)
    {
        Requirements.Tool(LlvmObjdumpOracle.Mc);
        var slots = Sweep();
        var expected = LlvmObjdumpOracle.DisassembleBytes(Instruction.WriteAll(slots, bigEndian), bigEndian, immHex);
        var options = immHex ? LlvmDisassemblyOptions.ImmHex : LlvmDisassemblyOptions.None;
        var actual = Listing(slots, options);
        AssertSameLines(expected, actual, slots);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Alu32MatchesLlvmObjdumpMattrAlu32(bool bigEndian)
    {
        Requirements.Tool(LlvmObjdumpOracle.Mc);
        var slots = Sweep();
        var expected = LlvmObjdumpOracle.DisassembleBytes(Instruction.WriteAll(slots, bigEndian), bigEndian, immHex: false, alu32: true);
        AssertSameLines(expected, Listing(slots, LlvmDisassemblyOptions.Alu32), slots);
    }

    [SkippableFact]
    public void BranchTargetsLandWhereLlvmObjdumpSaysTheyDo()
    {
        Requirements.Tool(LlvmObjdumpOracle.Mc);
        var slots = Sweep();
        var expected = LlvmObjdumpOracle.DisassembleBytes(Instruction.WriteAll(slots), false, false, keepBranchTargets: true);
        var actual = Listing(slots, LlvmDisassemblyOptions.None, target => $"<.text+0x{unchecked((ulong)(target * 8L)):x}>");
        AssertSameLines(expected, actual, slots);
    }

    internal static List<LlvmObjdumpOracle.Line> Listing(ReadOnlySpan<Instruction> slots, LlvmDisassemblyOptions options,
        Func<int, string?>? annotate = null)
    {
        var writer = new StringWriter();
        LlvmDisassembler.WriteListing(writer, slots, options, annotate);
        return writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(":\t", 2))
            .Select(p => new LlvmObjdumpOracle.Line(int.Parse(p[0]), p[1]))
            .ToList();
    }

    internal static void AssertSameLines(IReadOnlyList<LlvmObjdumpOracle.Line> expected,
        IReadOnlyList<LlvmObjdumpOracle.Line> actual, Instruction[] slots)
    {
        var mismatches = new List<string>();
        for (int i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            var e = i < expected.Count ? expected[i] : default;
            var a = i < actual.Count ? actual[i] : default;
            if (e != a)
                mismatches.Add($"slot {e.Index}/{a.Index} {(e.Index < slots.Length ? slots[e.Index] : default)}: llvm-objdump '{e.Text}' ours '{a.Text}'");
        }
        Assert.True(mismatches.Count == 0,
            $"{mismatches.Count} of {expected.Count} lines differ:\n" + string.Join('\n', mismatches.Take(40)));
    }
}
