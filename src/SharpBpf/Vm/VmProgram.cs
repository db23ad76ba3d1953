using System.Diagnostics;
using SharpBpf.Isa;
using SharpBpf.Vm.Contexts;

namespace SharpBpf.Vm;

/// <summary>A program loaded into a <see cref="VmEngine"/>. Runs are independent and may happen on several threads at once.</summary>
public sealed class VmProgram
{
    internal VmProgram(VmEngine engine, VmCode code)
    {
        Engine = engine;
        Code = code;
    }

    internal VmCode Code { get; }
    public VmEngine Engine { get; }
    public string Name => Code.Name;
    public BpfProgramType Type => Code.Type;
    /// <summary>The engine id (what user space stores in a PROG_ARRAY slot).</summary>
    public int Id { get; internal set; }
    public IReadOnlyList<Instruction> Instructions => Code.Source;

    /// <summary>Runs on a packet (XDP, tc, socket filter) or on memory (other types: r1 = memory, r2 = its length).</summary>
    public VmRunResult Run(ReadOnlyMemory<byte> data) => Run(new VmRunInput { Data = data });

    /// <summary>
    /// Runs as BPF_PROG_TEST_RUN would: sets up the context for the program type once, runs <see cref="VmRunInput.Repeat"/>
    /// times on it (as the kernel, the packet and context are not reset between repeats), returns what the last run produced
    /// and the mean duration, from one read of <see cref="RunClock"/> before and one after the batch.
    /// </summary>
    public VmRunResult Run(VmRunInput input) => Run(input, timed: true);

    /// <summary><see cref="Run(VmRunInput)"/>; untimed (<see cref="VmRunResult.DurationNs"/> 0) for callers that time a
    /// whole sequence of runs themselves, such as one run per packet of a capture.</summary>
    internal VmRunResult Run(VmRunInput input, bool timed)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Repeat < 1)
            throw new ArgumentOutOfRangeException(nameof(input), input.Repeat, "Repeat must be at least 1");
        var kind = VmContexts.For(Type);
        var cx = Engine.Rent();
        try
        {
            cx.Reset(this);
            var (r1, r2) = kind.Setup(cx, input);
            if (timed)
                Jit.JitExecutor.Prepare(cx); // compile outside the timed runs: the duration is the program's, as the kernel's
            long start = timed ? RunClock.Nanoseconds() : 0;
            ulong r0 = Jit.JitExecutor.RunRepeated(cx, r1, r2, input.Repeat);
            ulong ns = timed ? MeanNanoseconds(RunClock.Nanoseconds() - start, input.Repeat) : 0;
            var (dataOut, ctxOut) = kind.Finish(cx);
            ulong retval = kind.Returns32Bits ? (uint)r0 : r0;
            return new VmRunResult(retval, dataOut, ctxOut, TimeSpan.FromTicks((long)(ns / 100))) { Redirect = cx.Redirect, DurationNs = ns };
        }
        finally
        {
            cx.ReleaseLocks();
            Engine.Return(cx);
        }
    }

    /// <summary>The mean of <paramref name="repeat"/> runs in whole nanoseconds (as the kernel reports it), at least 1: a program that ran took time.</summary>
    internal static ulong MeanNanoseconds(long elapsedNs, int repeat) =>
        Math.Max(1UL, (ulong)Math.Round((double)elapsedNs / repeat));

    /// <summary>
    /// Runs with r1 = a private copy of <paramref name="memory"/> and r2 = its length (r1 = 0 when empty), whatever the
    /// program type, and copies the memory back afterwards; returns the full 64-bit r0. Allocation-free.
    /// This is the conformance suite's convention.
    /// </summary>
    public unsafe ulong RunOnMemory(Span<byte> memory)
    {
        var cx = Engine.Rent();
        try
        {
            cx.Reset(this);
            cx.SetRawMemory(memory);
            ulong r0 = Jit.JitExecutor.Run(cx, memory.IsEmpty ? 0 : (ulong)cx.RawBuffer, (ulong)memory.Length);
            new ReadOnlySpan<byte>(cx.RawBuffer, memory.Length).CopyTo(memory);
            return r0;
        }
        finally
        {
            cx.ReleaseLocks();
            Engine.Return(cx);
        }
    }

    /// <summary>Runs an XDP or skb program on <paramref name="packet"/> without allocating; returns r0 (the packet is not copied back).</summary>
    public ulong RunOnPacket(ReadOnlySpan<byte> packet)
    {
        var kind = VmContexts.For(Type);
        var cx = Engine.Rent();
        try
        {
            cx.Reset(this);
            var (r1, r2) = kind.SetupPacket(cx, packet);
            ulong r0 = Jit.JitExecutor.Run(cx, r1, r2);
            return kind.Returns32Bits ? (uint)r0 : r0;
        }
        finally
        {
            cx.ReleaseLocks();
            Engine.Return(cx);
        }
    }

    public override string ToString() => $"{Name} ({Type}, {Code.Source.Length} insns, id {Id})";
}
