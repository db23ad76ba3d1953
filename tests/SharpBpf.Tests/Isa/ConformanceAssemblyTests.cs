using SharpBpf.Isa;
using SharpBpf.Isa.Disassembly;
using SharpBpf.Tests.Conformance;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Isa;

/// <summary>Every file of the conformance suite assembles; raw sections equal our bytes; llvm-objdump agrees on the text.</summary>
public class ConformanceAssemblyTests
{
    private static IReadOnlyList<ConformanceTestFile> Files()
    {
        var dir = ConformanceTestFile.RequireDirectory();
        return ConformanceTestFile.LoadAll(dir).ToList();
    }

    [SkippableFact]
    public void EveryFileAssemblesAndMatchesItsRawSection()
    {
        var files = Files();
        Assert.Equal(313, files.Count);
        int withRaw = 0;
        foreach (var file in files)
        {
            var program = SharpBpf.Isa.Assembly.Assembler.Assemble(file.Asm);
            Assert.True(program.Length > 0, file.Name);
            Assert.True(file.Result.HasValue || file.Error is not null, file.Name);
            if (file.Raw is { } raw)
            {
                withRaw++;
                Assert.Equal(raw, program);
            }
        }
        Assert.Equal(1, withRaw);
    }

    [SkippableFact]
    public void EveryInstructionTheSuiteUsesIsValidInTheTable()
    {
        foreach (var file in Files())
            foreach (var insn in file.Program())
                Assert.True(insn.Info.IsValid || insn.Opcode == 0, $"{file.Name}: {insn}");
    }

    [SkippableFact]
    public void RoundTripThroughLlvmObjdump()
    {
        Requirements.Tool(LlvmObjdumpOracle.Mc);
        var files = Files();
        var all = files.SelectMany(f => f.Program()).ToArray();
        var expected = LlvmObjdumpOracle.DisassembleBytes(Instruction.WriteAll(all), bigEndian: false, immHex: false);
        var actual = LlvmDisassemblerOracleTests.Listing(all, LlvmDisassemblyOptions.None);
        LlvmDisassemblerOracleTests.AssertSameLines(expected, actual, all);
    }

    [Fact]
    public void ParsesSectionsCommentsAndRawWords()
    {
        var file = ConformanceTestFile.Parse("x.data", """
            # header
            -- asm
            lddw %r0, 0x1122334455667788 # load
            exit
            -- raw
            0x5566778800000018
            0x1122334400000000
            0x0000000000000095
            -- mem
            00 01 ff
            -- no register offset
            -- result
            0x1122334455667788
            """);
        Assert.Equal(0x1122334455667788UL, file.Result);
        Assert.Equal(new byte[] { 0, 1, 0xff }, file.Memory);
        Assert.True(file.NoRegisterOffset);
        Assert.Null(file.Error);
        Assert.Equal(new Instruction(0x18, 0, 0, 0, 0x55667788), file.Raw![0]);
        Assert.Equal(file.Raw, SharpBpf.Isa.Assembly.Assembler.Assemble(file.Asm));
    }
}
