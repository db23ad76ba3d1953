using SharpBpf.Isa;
using SharpBpf.Isa.Assembly;

namespace SharpBpf.Tests.Isa;

public class AssemblerTests
{
    private static Instruction One(string line) => Assert.Single(Assembler.Assemble(line));

    [Fact]
    public void EncodesEachFamily()
    {
        Assert.Equal(new Instruction(0xb7, 0, 0, 0, 1), One("mov %r0, 1"));
        Assert.Equal(new Instruction(0xbc, 1, 2, 0, 0), One("mov32 %r1, %r2"));
        Assert.Equal(new Instruction(0x79, 0, 1, 8, 0), One("ldxdw %r0, [%r1+8]"));
        Assert.Equal(new Instruction(0x63, 10, 1, -4, 0), One("stxw [%r10-4], %r1"));
        Assert.Equal(new Instruction(0x7a, 1, 0, 0, 1), One("stdw [%r1], 0x1"));
        Assert.Equal(new Instruction(0x71, 0, 1, 2, 0), One("ldxb %r0, [%r1+0x2]"));
        Assert.Equal(new Instruction(0xdb, 10, 1, -8, 0xa0), One("lock xor [%r10-8], %r1"));
        Assert.Equal(new Instruction(0xc3, 10, 1, -4, 0x01), One("lock fetch add32 [%r10-4], %r1"));
        Assert.Equal(new Instruction(0xdb, 10, 1, -8, 0xe1), One("lock xchg [%r10-8], %r1"));
        Assert.Equal(new Instruction(0xc3, 10, 1, -8, 0xf1), One("lock cmpxchg32 [%r10-8], %r1"));
        Assert.Equal(new Instruction(0xdc, 3, 0, 0, 32), One("be32 %r3"));
        Assert.Equal(new Instruction(0xd4, 0, 0, 0, 16), One("le16 %r0"));
        Assert.Equal(new Instruction(0xd7, 0, 0, 0, 64), One("bswap64 %r0"));
        Assert.Equal(new Instruction(0xd7, 0, 0, 0, 16), One("swap16 %r0"));
        Assert.Equal(new Instruction(0x87, 0, 0, 0, 0), One("neg %r0"));
        Assert.Equal(new Instruction(0x84, 0, 0, 0, 0), One("neg32 %r0"));
        Assert.Equal(new Instruction(0x3f, 0, 1, 1, 0), One("sdiv %r0, %r1"));
        Assert.Equal(new Instruction(0x94, 0, 0, 1, -3), One("smod32 %r0, -3"));
        Assert.Equal(new Instruction(0xbf, 0, 1, 8, 0), One("movsx864 %r0, %r1"));
        Assert.Equal(new Instruction(0xbc, 4, 3, 16, 0), One("movsx1632 %r4, %r3"));
        Assert.Equal(new Instruction(0x91, 0, 10, -1, 0), One("ldxsb %r0, [%r10-1]"));
        Assert.Equal(new Instruction(0x85, 0, 0, 0, 5), One("call 5"));
        Assert.Equal(new Instruction(0x8d, 2, 0, 0, 0), One("call %r2"));
        Assert.Equal(new Instruction(0x95, 0, 0, 0, 0), One("exit"));
        Assert.Equal(new Instruction(0x05, 0, 0, 2, 0), One("ja +2"));
        Assert.Equal(new Instruction(0x56, 1, 0, -1, unchecked((int)0x80000000)), One("jne32 %r1, 0x80000000, -1"));
        Assert.Equal(new Instruction(0x20, 0, 0, 0, 12), One("ldabsw 12"));
        Assert.Equal(new Instruction(0x48, 0, 2, 0, 4), One("ldindh %r2, 4"));
    }

    [Fact]
    public void ResolvesLabelsLocalCallsAndTheImplicitExitLabel()
    {
        var program = Assembler.Assemble("""
            mov %r0, 0        # comment
            jeq %r0, 0, out
            call local func
            ja32 out
            out:
            exit
            func:
            jne %r1, %r2, exit
            ja exit
            lddw %r1, -2
            exit
            """);
        Assert.Equal(2, program[1].Offset);           // to 'out' at 4
        Assert.Equal(2, program[2].Imm);              // to 'func' at 5
        Assert.Equal(PseudoSource.Call, program[2].Src);
        Assert.Equal(0, program[3].Imm);              // ja32 to 4
        Assert.Equal(Opcodes.Ja32, program[3].Opcode);
        Assert.Equal(-2, program[5].Offset);          // first exit at 4
        Assert.Equal(-3, program[6].Offset);
        Assert.Equal(-2L, Instruction.Wide(program[7], program[8]));
    }

    [Theory]
    [InlineData("mov %r0", "line 1: 'mov' takes 2 operands, got 1")]
    [InlineData("frob %r0, 1", "unknown mnemonic 'frob'")]
    [InlineData("mov %r11, 1", "'%r11' is not a register")]
    [InlineData("mov %r0, 0x1ffffffff", "does not fit 32 bits")]
    [InlineData("ldxdw %r0, %r1", "is not a memory operand")]
    [InlineData("ja nowhere", "unknown label 'nowhere'")]
    [InlineData("a:\na:", "line 2: duplicate label 'a'")]
    [InlineData("lock nand [%r1], %r2", "unknown atomic operation 'nand'")]
    [InlineData("mov %r0, zz", "'zz' is not a number")]
    public void RejectsBadLinesWithTheLineNumber(string source, string message)
    {
        var e = Assert.Throws<AssemblerException>(() => Assembler.Assemble(source));
        Assert.Contains(message, e.Message);
        Assert.IsAssignableFrom<BpfException>(e);
        Assert.True(e.Line > 0);
    }
}
