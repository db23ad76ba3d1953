namespace SharpBpf.Verifier;

/// <summary>What a load from the context yields.</summary>
public enum ContextField : byte
{
    Scalar,
    Packet,
    PacketMeta,
    PacketEnd,
    /// <summary>A BTF-typed kernel pointer (tracing arguments), read through probe loads.</summary>
    BtfId,
}

/// <summary>
/// Which context accesses each program type allows and what they load (the kernel's <c>*_is_valid_access</c>):
/// <c>struct xdp_md</c>, <c>struct __sk_buff</c> per program type, tracing contexts. One table for the verifier.
/// </summary>
public static class ContextRules
{
    // struct __sk_buff offsets (uapi/linux/bpf.h).
    private const int SkbMark = 8, SkbQueueMapping = 12, SkbPriority = 32, SkbTcIndex = 44, SkbCb = 48, SkbCbEnd = 68,
        SkbTcClassid = 72, SkbData = 76, SkbDataEnd = 80, SkbFamily = 88, SkbLocalPortEnd = 140, SkbDataMeta = 140,
        SkbFlowKeys = 144, SkbTstamp = 152, SkbWireLen = 160, SkbSk = 168, SkbTstampType = 180, SkbHwtstamp = 184, SkbSize = 192;

    /// <summary>True when the program type reads packets directly through ctx data/data_end.</summary>
    public static bool CanWritePacket(BpfProgramType type) => type is BpfProgramType.Xdp or BpfProgramType.SchedCls
        or BpfProgramType.SchedAct or BpfProgramType.LwtXmit or BpfProgramType.SkSkb;

    /// <summary>Checks an access of <paramref name="size"/> bytes at <paramref name="off"/>; null when it is invalid.</summary>
    public static ContextField? Access(BpfProgramType type, BpfAttachType attach, int off, int size, bool write)
    {
        switch (type)
        {
            case BpfProgramType.Xdp:
                if (write || off < 0 || off >= 24 || off % size != 0 || size != 4 || (off == 20 && attach != BpfAttachType.XdpDevmap))
                    return null;
                return off switch { 0 => ContextField.Packet, 4 => ContextField.PacketEnd, 8 => ContextField.PacketMeta, _ => ContextField.Scalar };
            case BpfProgramType.SchedCls or BpfProgramType.SchedAct:
                if (write && !(InField(off, SkbMark) || InField(off, SkbTcIndex) || InField(off, SkbPriority) || InCb(off)
                    || InField(off, SkbTcClassid) || off == SkbTstamp || InField(off, SkbQueueMapping)))
                    return null;
                if (InField(off, SkbFlowKeys) || off == SkbFlowKeys + 4 || (off >= SkbFamily && off < SkbLocalPortEnd))
                    return null;
                if (off == SkbTstampType)
                    return size == 1 && !write ? ContextField.Scalar : null;
                return Skb(off, size, write, packet: true, meta: true);
            case BpfProgramType.SocketFilter:
                if (InField(off, SkbTcClassid) || InField(off, SkbData) || InField(off, SkbDataMeta) || InField(off, SkbDataEnd)
                    || (off >= SkbFamily && off < SkbLocalPortEnd) || (off >= SkbTstamp && off < SkbTstamp + 8)
                    || InField(off, SkbWireLen) || (off >= SkbHwtstamp && off < SkbSize))
                    return null;
                if (write && !InCb(off))
                    return null;
                return Skb(off, size, write, packet: false, meta: false);
            case BpfProgramType.CgroupSkb:
                if (InField(off, SkbTcClassid) || InField(off, SkbDataMeta) || InField(off, SkbWireLen))
                    return null;
                if (write && !(InField(off, SkbMark) || InField(off, SkbPriority) || InCb(off) || off == SkbTstamp))
                    return null;
                return Skb(off, size, write, packet: true, meta: false);
            case BpfProgramType.Kprobe:
                return write || off < 0 || off % size != 0 || off + size > 168 ? null : ContextField.Scalar;
            case BpfProgramType.Tracepoint:
                return write || off < 0 || off >= 2048 || off % size != 0 ? null : ContextField.Scalar;
            case BpfProgramType.RawTracepoint or BpfProgramType.RawTracepointWritable:
                return write || off < 0 || off >= 8 * 12 || off % size != 0 ? null : ContextField.Scalar;
            case BpfProgramType.PerfEvent:
                return write || off < 0 || off >= 184 || off % size != 0 ? null : ContextField.Scalar;
            case BpfProgramType.Tracing or BpfProgramType.Lsm:
                // Arguments are u64 slots; pointer arguments are BTF-typed kernel pointers.
                return write || off < 0 || off >= 8 * 12 || off % size != 0 ? null : size == 8 ? ContextField.BtfId : ContextField.Scalar;
            default:
                // Program types whose context rules are not modelled: aligned reads of scalars.
                return write || off < 0 || off % size != 0 ? null : ContextField.Scalar;
        }
    }

    private static bool InField(int off, int field) => off >= field && off < field + 4;
    private static bool InCb(int off) => off >= SkbCb && off < SkbCbEnd;

    /// <summary>bpf_skb_is_valid_access: the rules every __sk_buff program shares.</summary>
    private static ContextField? Skb(int off, int size, bool write, bool packet, bool meta)
    {
        if (off < 0 || off >= SkbSize || off % size != 0)
            return null;
        if (InCb(off))
            return off + size > SkbCbEnd ? null : ContextField.Scalar;
        if (off is SkbData or SkbDataEnd or SkbDataMeta || (off >= 92 && off < 132))
        {
            if (size != 4)
                return null;
            if (off == SkbData && packet) return ContextField.Packet;
            if (off == SkbDataEnd && packet) return ContextField.PacketEnd;
            if (off == SkbDataMeta && meta) return ContextField.PacketMeta;
            return ContextField.Scalar;
        }
        if (off >= SkbFlowKeys && off < SkbFlowKeys + 8)
            return null;
        if (off >= SkbHwtstamp && off < SkbSize)
            return write || size != 8 ? null : ContextField.Scalar;
        if (off >= SkbTstamp && off < SkbTstamp + 8)
            return size != 8 ? null : ContextField.Scalar;
        if (off == SkbSk)
            return write || size != 8 ? null : ContextField.BtfId;
        if (off >= SkbSk && off < SkbSk + 8)
            return null;
        if (off >= SkbTstampType && off < SkbHwtstamp)
            return null;
        return write ? size == 4 ? ContextField.Scalar : null : size <= 4 ? ContextField.Scalar : null;
    }
}
