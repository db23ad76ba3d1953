using System.Buffers.Binary;

namespace SharpBpf.Vm.Contexts;

/// <summary>
/// How one family of program types sees its context: what r1 (and r2) hold at entry, how test_run input becomes a
/// packet and a context, and what comes back out. Contexts with a kernel UAPI struct (<c>xdp_md</c>, <c>__sk_buff</c>)
/// are translated at access time: the program's loads and stores of the struct go through <see cref="TryLoad"/> and
/// <see cref="TryStore"/>, which turn the u32 <c>data</c>/<c>data_end</c>/<c>data_meta</c> fields into real packet
/// pointers (what the kernel's verifier does by rewriting the instructions) and refuse what the verifier would refuse.
/// </summary>
// The JIT finds the static field that holds a context (JitEmitter), so trimming keeps contexts' fields.
[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicFields | System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.NonPublicFields)]
internal abstract class VmContext
{
    /// <summary>The struct's name for messages ("xdp_md").</summary>
    public abstract string Name { get; }
    /// <summary>Bytes of the UAPI struct (0: no translated struct).</summary>
    public abstract int Size { get; }
    /// <summary>The kernel's test_run returns a u32 retval for this program type.</summary>
    public virtual bool Returns32Bits => true;

    /// <summary>Prepares <paramref name="cx"/> for a run on <paramref name="input"/>; returns r1 and r2.</summary>
    public abstract (ulong R1, ulong R2) Setup(VmCallContext cx, RunInput input);
    /// <summary>Like <see cref="Setup"/> for a packet alone, without allocating.</summary>
    public abstract (ulong R1, ulong R2) SetupPacket(VmCallContext cx, ReadOnlySpan<byte> packet);
    /// <summary>data_out and ctx_out after a run.</summary>
    public abstract (byte[] DataOut, byte[]? ContextOut) Finish(VmCallContext cx);

    public virtual bool TryLoad(VmCallContext cx, int offset, int size, out ulong value)
    {
        value = 0;
        return false;
    }

    public virtual bool TryStore(VmCallContext cx, int offset, int size, ulong value) => false;

    /// <summary>The packet pointer a 4-byte load at <paramref name="offset"/> always reads (what <see cref="TryLoad"/> returns
    /// there), so the JIT can read it straight from the run state, as the kernel rewrites such loads.</summary>
    public virtual VmPacketField PacketPointerAt(int offset) => VmPacketField.None;

    protected static unsafe uint ReadU32(VmCallContext cx, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(cx.CtxBuffer + offset, 4));
    protected static unsafe ulong ReadU64(VmCallContext cx, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(cx.CtxBuffer + offset, 8));
    protected static unsafe Span<byte> CtxSpan(VmCallContext cx, int size) => new(cx.CtxBuffer, size);

    /// <summary>Reads bytes [offset, offset+size) of the context buffer as a zero-extended little-endian value.</summary>
    protected static unsafe ulong ReadBytes(VmCallContext cx, int offset, int size) => size switch
    {
        1 => cx.CtxBuffer[offset],
        2 => BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(cx.CtxBuffer + offset, 2)),
        4 => BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(cx.CtxBuffer + offset, 4)),
        _ => BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(cx.CtxBuffer + offset, 8)),
    };

    protected static unsafe void WriteBytes(VmCallContext cx, int offset, int size, ulong value)
    {
        var span = new Span<byte>(cx.CtxBuffer + offset, size);
        switch (size)
        {
            case 1: span[0] = (byte)value; break;
            case 2: BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)value); break;
            case 4: BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)value); break;
            default: BinaryPrimitives.WriteUInt64LittleEndian(span, value); break;
        }
    }

    /// <summary>The packet bytes [data_meta or data, data_end) as an array.</summary>
    protected static unsafe byte[] PacketBytes(VmCallContext cx, nint from) =>
        new ReadOnlySpan<byte>((void*)from, (int)(cx.DataEnd - from)).ToArray();

    /// <summary>A test_run input the kernel would refuse (it returns an errno; the VM throws).</summary>
    protected static BpfException Invalid(string what, int errno = SharpBpf.Errno.EINVAL) =>
        new($"test run input rejected: {what} ({SharpBpf.Errno.Name(errno)}, as the kernel's BPF_PROG_TEST_RUN)");
}

/// <summary>Which of the run's packet pointers a context field reads.</summary>
internal enum VmPacketField { None, Data, DataEnd, DataMeta }

/// <summary>Which context a program type gets.</summary>
internal static class VmContexts
{
    public static VmContext For(BpfProgramType type) => type switch
    {
        BpfProgramType.Xdp => XdpContext.Instance,
        BpfProgramType.SchedCls or BpfProgramType.SchedAct => SkbContext.TrafficControl,
        BpfProgramType.SocketFilter or BpfProgramType.CgroupSkb => SkbContext.SocketFilter,
        _ => RawContext.Instance,
    };
}

/// <summary>
/// Plain memory: r1 = a private, writable copy of the input (ctx_in when given, else data_in), r2 = its length;
/// r1 = 0 when there is no input. The conformance suite's convention, and what raw tracepoint style test runs look like.
/// </summary>
internal sealed class RawContext : VmContext
{
    public static readonly RawContext Instance = new();
    public override string Name => "memory";
    public override int Size => 0;
    public override bool Returns32Bits => false;

    public override (ulong R1, ulong R2) Setup(VmCallContext cx, RunInput input) =>
        SetupPacket(cx, (input.Context ?? input.Data).Span);

    public override unsafe (ulong R1, ulong R2) SetupPacket(VmCallContext cx, ReadOnlySpan<byte> packet)
    {
        cx.SetRawMemory(packet);
        return (packet.IsEmpty ? 0 : (ulong)cx.RawBuffer, (ulong)packet.Length);
    }

    public override unsafe (byte[] DataOut, byte[]? ContextOut) Finish(VmCallContext cx) =>
        (new ReadOnlySpan<byte>(cx.RawBuffer, (int)cx.RawLength).ToArray(), null);
}
