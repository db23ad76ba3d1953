using SharpBpf.Isa;
using SharpBpf.Vm.Contexts;

namespace SharpBpf.Vm;

/// <summary>A program loaded into a <see cref="VmEngine"/>. Runs are independent and may happen on several threads at once.</summary>
public sealed class VmProgram : IBpfProgram
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

    /// <summary>
    /// Runs as BPF_PROG_TEST_RUN would: sets up the context for the program type once, runs <see cref="RunInput.Repeat"/>
    /// times on it (as the kernel, the packet and context are not reset between repeats), returns what the last run produced
    /// and the mean duration, from one read of <see cref="RunClock"/> before and one after the batch.
    /// </summary>
    public RunResult Run(RunInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        input.Validate();
        var kind = VmContexts.For(Type);
        var cx = Rent();
        try
        {
            var (r1, r2) = kind.Setup(cx, input);
            if (input.Timed)
                Jit.JitExecutor.Prepare(cx); // compile outside the timed runs: the duration is the program's, as the kernel's
            long start = input.Timed ? RunClock.Nanoseconds() : 0;
            ulong r0 = Jit.JitExecutor.RunRepeated(cx, r1, r2, input.Repeat);
            ulong ns = input.Timed ? RunClock.MeanNanoseconds(RunClock.Nanoseconds() - start, input.Repeat) : 0;
            var (dataOut, ctxOut) = kind.Finish(cx);
            ulong retval = kind.Returns32Bits ? (uint)r0 : r0;
            return new RunResult(retval, Truncate(dataOut, input.DataOutSize), Truncate(ctxOut ?? [], input.ContextOutSize ?? input.Context?.Length), ns)
            {
                Redirect = cx.Redirect,
            };
        }
        finally
        {
            Return(cx);
        }
    }

    private static byte[] Truncate(byte[] bytes, int? max) => max is { } m && bytes.Length > m ? bytes[..m] : bytes;

    /// <summary>
    /// Runs with r1 = a private copy of <paramref name="memory"/> and r2 = its length (r1 = 0 when empty), whatever the
    /// program type, and copies the memory back afterwards; returns the full 64-bit r0. Allocation-free.
    /// This is the conformance suite's convention.
    /// </summary>
    public unsafe ulong RunOnMemory(Span<byte> memory)
    {
        var cx = Rent();
        try
        {
            cx.SetRawMemory(memory);
            ulong r0 = Jit.JitExecutor.Run(cx, memory.IsEmpty ? 0 : (ulong)cx.RawBuffer, (ulong)memory.Length);
            new ReadOnlySpan<byte>(cx.RawBuffer, memory.Length).CopyTo(memory);
            return r0;
        }
        finally
        {
            Return(cx);
        }
    }

    /// <summary>Runs an XDP or skb program on <paramref name="packet"/> without allocating; returns r0 (the packet is not copied back).</summary>
    public ulong RunOnPacket(ReadOnlySpan<byte> packet)
    {
        var kind = VmContexts.For(Type);
        var cx = Rent();
        try
        {
            var (r1, r2) = kind.SetupPacket(cx, packet);
            ulong r0 = Jit.JitExecutor.Run(cx, r1, r2);
            return kind.Returns32Bits ? (uint)r0 : r0;
        }
        finally
        {
            Return(cx);
        }
    }

    /// <summary>A run context of the engine, reset for this program; refused once the program's collection is disposed.</summary>
    private VmCallContext Rent()
    {
        ObjectDisposedException.ThrowIf(_retired, this);
        var cx = Engine.Rent();
        cx.Reset(this);
        return cx;
    }

    private void Return(VmCallContext cx)
    {
        cx.ReleaseLocks();
        Engine.Return(cx);
    }

    private volatile bool _retired;

    /// <summary>Its collection was disposed: its maps are gone, so it must never run again.</summary>
    internal void Retire() => _retired = true;

    public override string ToString() => $"{Name} ({Type}, {Code.Source.Length} insns, id {Id})";
}
