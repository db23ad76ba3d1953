using SharpBpf.Isa;
using SharpBpf.Isa.Assembly;
using SharpBpf.Isa.Disassembly;
using static SharpBpf.Isa.Register;

namespace SharpBpf.Tests.Isa;

public class ProgramBuilderTests
{
    [Fact]
    public void BuildsWhatTheAssemblerBuilds()
    {
        var built = new ProgramBuilder()
            .Mov64(R0, 1)
            .Add64(R0, R1)
            .Mov32(R2, -1)
            .Store(OpSize.DW, R10, -8, R0)
            .Load(OpSize.W, R3, R10, -8)
            .Atomic(OpSize.DW, AtomicOp.Add | AtomicOp.Fetch, R10, -8, R3)
            .JumpIf(JmpOp.Jeq, R0, 0, "out")
            .JumpIf32(JmpOp.Jsgt, R1, R2, "out")
            .LoadImm64(R4, 0x1122334455667788)
            .CallLocal("func")
            .Label("out")
            .Exit()
            .Label("func")
            .Call("bpf_ktime_get_ns")
            .Jump("out")
            .Build();
        var assembled = Assembler.Assemble("""
            mov %r0, 1
            add %r0, %r1
            mov32 %r2, -1
            stxdw [%r10-8], %r0
            ldxw %r3, [%r10-8]
            lock fetch add [%r10-8], %r3
            jeq %r0, 0, out
            jsgt32 %r1, %r2, out
            lddw %r4, 0x1122334455667788
            call local func
            out:
            exit
            func:
            call 5
            ja out
            """);
        Assert.Equal(assembled, built);
    }

    [Fact]
    public void RecordsMapLoadsForTheLoader()
    {
        var builder = new ProgramBuilder()
            .Mov64(R0, 0)
            .LoadMapFd(R1, "counts")
            .LoadMapValue(R2, ".bss", 16)
            .Call("map_lookup_elem")
            .Exit();
        var insns = builder.Build();
        Assert.Equal([new MapLoad(1, "counts", null), new MapLoad(3, ".bss", 16)], builder.MapLoads);
        Assert.Equal(PseudoSource.MapFd, insns[1].Src);
        Assert.Equal(16, insns[4].Imm);
        Assert.Equal("call 1", LlvmDisassembler.Format(insns[5]));
        Assert.Equal("(18) r2 = map[id:0][0]+16", KernelDisassembler.Format(insns[3], insns[4], new BpftoolXlatedSymbols()));
    }

    [Fact]
    public void ReportsMistakes()
    {
        Assert.Contains("undefined label 'nowhere'",
            Assert.Throws<ProgramBuilderException>(() => new ProgramBuilder().Jump("nowhere").Build()).Message);
        Assert.Throws<ProgramBuilderException>(() => new ProgramBuilder().Label("a").Label("a"));
        Assert.Throws<ProgramBuilderException>(() => new ProgramBuilder().Call("no_such_helper"));
        Assert.Throws<ProgramBuilderException>(() => new ProgramBuilder().JumpIf(JmpOp.Exit, R0, 0, "x"));
        Assert.Throws<ProgramBuilderException>(() => new ProgramBuilder().Alu64(AluOp.Neg, R0, 1));
        Assert.Throws<ProgramBuilderException>(() => new ProgramBuilder().Mov64((Register)11, 1));
        Assert.Throws<ProgramBuilderException>(() => new ProgramBuilder().Atomic(OpSize.B, AtomicOp.Add, R1, 0, R2));
        Assert.Throws<ProgramBuilderException>(() => new ProgramBuilder().ByteSwap(R0, 8));
    }

    [Fact]
    public void BuildsV4Forms()
    {
        var insns = new ProgramBuilder().SignedDiv64(R1, R2).MovSx64(R3, R4, 16).ByteSwap(R5, 32).Endian(R6, 16, true).Build();
        Assert.Equal(
            ["r1 s/= r2", "r3 = (s16)r4", "r5 = bswap32 r5", "r6 = be16 r6"],
            insns.Select(i => LlvmDisassembler.Format(i, default, LlvmDisassemblyOptions.ModernIsa)));
    }
}
