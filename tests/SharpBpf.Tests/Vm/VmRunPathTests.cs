using SharpBpf.Isa;
using SharpBpf.Isa.Assembly;
using SharpBpf.Vm;

namespace SharpBpf.Tests.Vm;

/// <summary>What <see cref="VmProgram.Run(RunInput)"/> reports and how repeated runs see their input (as the kernel's test_run).</summary>
public class VmRunPathTests
{
    private static readonly byte[] Packet = new byte[64];

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 1)]
    [InlineData(true, 1000)]
    [InlineData(false, 1000)]
    public void DurationsAreWholeNanosecondsAndNeverZeroForAProgramThatRan(bool jit, int repeat)
    {
        using var engine = new VmEngine(new VmOptions { UseJit = jit });
        var program = engine.LoadProgram(Assembler.Assemble("mov %r0, 2\nexit"), BpfProgramType.Xdp);
        var result = program.Run(new RunInput { Data = Packet, Repeat = repeat });
        Assert.Equal(2UL, result.ReturnValue);
        Assert.True(result.DurationNs >= 1, $"duration {result.DurationNs} ns");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RepeatedRunsWorkOnTheSamePacketAsTheKernels(bool jit)
    {
        // Each run increments the packet's first byte; the kernel's test_run does not restore the packet between repeats.
        using var engine = new VmEngine(new VmOptions { UseJit = jit });
        var program = engine.LoadProgram(Assembler.Assemble("""
            ldxw %r2, [%r1+0]
            ldxw %r4, [%r1+4]
            mov %r5, %r2
            add %r5, 1
            mov %r0, 0
            jgt %r5, %r4, +4
            ldxb %r3, [%r2+0]
            add %r3, 1
            stxb [%r2+0], %r3
            mov %r0, %r3
            exit
            """), BpfProgramType.Xdp);
        var result = program.Run(new RunInput { Data = Packet, Repeat = 5 });
        Assert.Equal(5UL, result.ReturnValue);
        Assert.Equal(5, result.DataOut[0]);
        Assert.Equal(0, Packet[0]);
    }

    [Fact]
    public void MeanDurationRoundsToWholeNanosecondsAndIsAtLeastOne()
    {
        Assert.Equal(1UL, RunClock.MeanNanoseconds(0, 1000));
        Assert.Equal(1_000_000UL, RunClock.MeanNanoseconds(1_000_000_000, 1000));
        Assert.Equal(3UL, RunClock.MeanNanoseconds(2_600, 1000));
    }
}
