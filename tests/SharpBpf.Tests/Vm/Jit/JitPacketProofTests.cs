using SharpBpf.Isa.Assembly;
using SharpBpf.Vm;
using SharpBpf.Vm.Jit;

namespace SharpBpf.Tests.Vm.Jit;

/// <summary>Packet loads the JIT proves in bounds (<see cref="JitPacketProofs"/>) skip the check; every other one, and every
/// run where the proof's assumptions do not hold, must behave exactly as in the interpreter, faults included.</summary>
public class JitPacketProofTests
{
    // sum of the first `loop` bytes after checking data + `checkedLength` <= data_end (the sum64 benchmark's shape)
    private static string SumProgram(int checkedLength, int loop) => $"""
        mov %r0, 0
        ldxw %r2, [%r1+4]
        ldxw %r1, [%r1+0]
        mov %r3, %r1
        add %r3, {checkedLength}
        jgt %r3, %r2, out
        mov %r3, 0
        mov %r0, 0
        top:
        mov %r4, %r1
        add %r4, %r3
        ldxb %r4, [%r4+0]
        add %r0, %r4
        add %r3, 1
        jeq %r3, {loop}, out
        ja top
        out:
        exit
        """;

    private const int SumLoadPc = 10;

    private static (RunResult? Result, VmFault? Fault) Run(bool jit, string source, byte[] packet, out VmProgram program)
    {
        var engine = new VmEngine(new VmOptions { UseJit = jit, VerifyBeforeLoad = false });
        program = engine.LoadProgram(Assembler.Assemble(source), BpfProgramType.Xdp);
        try
        {
            return (program.Run(packet), null);
        }
        catch (VmFault fault)
        {
            return (null, fault);
        }
    }

    private static JitPacketProofs Proofs(VmProgram program) =>
        new(program.Code, new JitBlocks(program.Code), SharpBpf.Vm.Contexts.VmContexts.For(BpfProgramType.Xdp));

    private static VmFault AssertSameFault(string source, byte[] packet)
    {
        var (_, expected) = Run(jit: false, source, packet, out _);
        var (_, actual) = Run(jit: true, source, packet, out var program);
        Assert.Null(program.Code.Jit?.Error);
        Assert.NotNull(expected);
        Assert.NotNull(actual);
        // each engine has its own packet buffer, so addresses are compared only where they do not depend on it
        static string NoAddress(string reason) => System.Text.RegularExpressions.Regex.Replace(reason, "0x[0-9a-f]+", "ADDR");
        Assert.Equal(NoAddress(expected.Reason), NoAddress(actual.Reason));
        Assert.Equal(expected.Pc, actual.Pc);
        Assert.Equal(expected.Size, actual.Size);
        return actual;
    }

    [Fact]
    public void AProvenLoopSkipsTheCheckAndSumsAsTheInterpreterDoes()
    {
        var packet = Enumerable.Range(0, 100).Select(i => (byte)(i * 7)).ToArray();
        string source = SumProgram(64, 64);
        var (expected, _) = Run(jit: false, source, packet, out _);
        var (actual, fault) = Run(jit: true, source, packet, out var program);
        Assert.Null(fault);
        Assert.Equal(packet.Take(64).Sum(b => (long)b), (long)actual!.ReturnValue);
        Assert.Equal(expected!.ReturnValue, actual.ReturnValue);
        Assert.True(Proofs(program).IsUnchecked(SumLoadPc));
        Assert.NotNull(Proofs(program).GuardAt(5));
        // a packet shorter than the proof: the program returns early on both engines
        Assert.Equal(Run(jit: false, source, new byte[63], out _).Result!.ReturnValue, Run(jit: true, source, new byte[63], out _).Result!.ReturnValue);
    }

    [Fact]
    public void ALoopReadingPastTheProvenLengthIsCheckedAndFaultsAsInTheInterpreter()
    {
        // checks 16 bytes, reads 32 from a 20-byte packet: the read of byte 20 faults
        string source = SumProgram(16, 32);
        var (_, _) = Run(jit: true, source, new byte[20], out var program);
        Assert.False(Proofs(program).IsUnchecked(SumLoadPc));
        var fault = AssertSameFault(source, new byte[20]);
        Assert.Equal(SumLoadPc, fault.Pc);
    }

    [Fact]
    public void AnOffsetPastTheProvenLengthIsChecked()
    {
        string source = """
            ldxw %r2, [%r1+4]
            ldxw %r1, [%r1+0]
            mov %r3, %r1
            add %r3, 8
            jgt %r3, %r2, out
            ldxw %r0, [%r1+4]
            ldxw %r0, [%r1+12]
            out:
            exit
            """;
        var (_, _) = Run(jit: true, source, new byte[14], out var program);
        Assert.True(Proofs(program).IsUnchecked(5));
        Assert.False(Proofs(program).IsUnchecked(6));
        Assert.Equal(6, AssertSameFault(source, new byte[14]).Pc);
    }

    [Fact]
    public void APointerThatIsNotTheContextsDataFailsTheGuardAndFaultsAsInTheInterpreter()
    {
        // "data" read from the stack at the context's data offset: a hypothesis the guard rejects at run time
        string source = """
            stdw [%r10-8], 0
            mov %r6, %r10
            add %r6, -8
            ldxw %r2, [%r1+4]
            ldxw %r1, [%r6+0]
            mov %r3, %r1
            add %r3, 8
            jgt %r3, %r2, out
            ldxb %r0, [%r1+0]
            out:
            exit
            """;
        var (_, _) = Run(jit: true, source, new byte[16], out var program);
        Assert.True(Proofs(program).IsUnchecked(8));
        var fault = AssertSameFault(source, new byte[16]);
        Assert.Equal(8, fault.Pc);
        Assert.Equal(0ul, fault.Address);
    }

    [Fact]
    public void AHelperCallForgetsTheProof()
    {
        string source = """
            ldxw %r2, [%r1+4]
            ldxw %r6, [%r1+0]
            mov %r3, %r6
            add %r3, 8
            jgt %r3, %r2, out
            call 7
            ldxb %r0, [%r6+0]
            out:
            exit
            """;
        var (_, _) = Run(jit: true, source, new byte[16], out var program);
        Assert.False(Proofs(program).IsUnchecked(6));
    }
}
