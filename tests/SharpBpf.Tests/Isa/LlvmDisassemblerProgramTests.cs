using SharpBpf.Isa;
using SharpBpf.Isa.Disassembly;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Isa;

/// <summary>Our LLVM dialect against llvm-objdump 14 on real compiled and assembled objects, both byte orders.</summary>
public class LlvmDisassemblerProgramTests
{
    public static TheoryData<string, string, bool> Objects() => new()
    {
        { "isa/ops.c", "v1", false }, { "isa/ops.c", "v2", false }, { "isa/ops.c", "v3", false },
        { "isa/ops.c", "v1", true }, { "isa/ops.c", "v3", true },
        { "isa/atomics.c", "v3", false }, { "isa/atomics.c", "v3", true },
        { "isa/all_ops.s", "v3", false }, { "isa/all_ops.s", "v3", true },
    };

    [SkippableTheory]
    [MemberData(nameof(Objects))]
    public void EverySectionMatchesLlvmObjdump14(string file, string cpu, bool bigEndian)
    {
        Requirements.Tool(TestPrograms.Clang);
        var obj = file.EndsWith(".s", StringComparison.Ordinal)
            ? LlvmObjdumpOracle.Assemble(Path.Combine(TestPrograms.SourceDir, file), bigEndian)
            : TestPrograms.Compile(file, cpu, bigEndian);
        foreach (var (immHex, alu32) in new[] { (false, false), (true, false), (false, true) })
        {
            var sections = LlvmObjdumpOracle.Disassemble(obj, immHex, alu32: alu32);
            Assert.NotEmpty(sections);
            foreach (var (name, expected) in sections)
            {
                var slots = Instruction.ReadAll(LlvmObjdumpOracle.SectionBytes(obj, name), bigEndian);
                Assert.True(slots.Length > 0, name);
                var options = (immHex ? LlvmDisassemblyOptions.ImmHex : 0) | (alu32 ? LlvmDisassemblyOptions.Alu32 : 0);
                LlvmDisassemblerOracleTests.AssertSameLines(expected, LlvmDisassemblerOracleTests.Listing(slots, options), slots);
            }
        }
    }
}
