using SharpBpf.Isa;

namespace SharpBpf.Tests.Isa;

public class InstructionTests
{
    [Fact]
    public void LittleAndBigEndianSlotsRoundTrip()
    {
        var insn = new Instruction(0x79, dst: 1, src: 10, offset: -8, imm: 0x12345678);
        foreach (var bigEndian in new[] { false, true })
        {
            var bytes = new byte[8];
            insn.Write(bytes, bigEndian);
            Assert.Equal(insn, Instruction.Read(bytes, bigEndian));
        }
        var le = new byte[8];
        insn.Write(le);
        Assert.Equal(new byte[] { 0x79, 0xa1, 0xf8, 0xff, 0x78, 0x56, 0x34, 0x12 }, le);
    }

    [Fact]
    public void TableKnowsEveryClassOfInstruction()
    {
        Assert.Equal(InstructionShape.LoadImm64, OpcodeTable.Get(0x18).Shape);
        Assert.Equal("ldxdw", OpcodeTable.Get(0x79).Mnemonic);
        Assert.Equal("add32", OpcodeTable.Get(0x04).Mnemonic);
        Assert.Equal("jsle32", OpcodeTable.Get(0xde).Mnemonic);
        Assert.Equal(InstructionShape.Atomic, OpcodeTable.Get(0xdb).Shape);
        Assert.False(OpcodeTable.Get(0x00).IsValid);
        Assert.Equal("bpf_map_lookup_elem", BpfHelperNames.Name(1));
    }
}
