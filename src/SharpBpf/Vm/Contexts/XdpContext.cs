using System.Buffers.Binary;

namespace SharpBpf.Vm.Contexts;

/// <summary>
/// <c>struct xdp_md</c> over a packet laid out as the kernel's XDP test_run does: a 4096-byte frame, 256 bytes of headroom
/// (metadata from ctx_in is taken from it), room for <c>skb_shared_info</c> kept free at the end. Read-only to programs;
/// <c>data</c>, <c>data_end</c>, <c>data_meta</c> read as pointers.
/// </summary>
internal sealed class XdpContext : VmContext
{
    public static readonly XdpContext Instance = new();

    public const int Headroom = 256;          // XDP_PACKET_HEADROOM
    public const int FrameSize = 4096;        // PAGE_SIZE
    public const int SharedInfoSize = 320;    // SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86-64
    public const int XdpFrameSize = 40;       // sizeof(struct xdp_frame): adjust_head/meta keep it free at the start
    public const int MaxData = FrameSize - Headroom - SharedInfoSize;
    public const int EthHeader = 14;
    /// <summary>xdp_metalen_invalid: metadata up to what skb_shared_info.meta_len holds (255), in 4-byte units.</summary>
    public const int MaxMetaLength = 255;

    private const uint LoopbackIfindex = 1;
    private const int DataOff = 0, DataEndOff = 4, DataMetaOff = 8, IngressIfindexOff = 12, RxQueueOff = 16, EgressIfindexOff = 20;

    public override string Name => "xdp_md";

    public override VmPacketField PacketPointerAt(int offset) => offset switch
    {
        DataOff => VmPacketField.Data,
        DataEndOff => VmPacketField.DataEnd,
        DataMetaOff => VmPacketField.DataMeta,
        _ => VmPacketField.None,
    };
    public override int Size => 24;

    public override (ulong R1, ulong R2) Setup(VmCallContext cx, RunInput input)
    {
        var data = input.Data.Span;
        int meta = 0;
        uint ingress = 0, rxQueue = 0;
        if (input.Context is { } ctxIn)
        {
            var c = ctxIn.Span;
            if (c.Length > Size && c[Size..].IndexOfAnyExcept((byte)0) >= 0)
                throw Invalid("xdp_md ctx_in has non-zero bytes beyond the struct", SharpBpf.Errno.E2BIG);
            Span<byte> md = stackalloc byte[Size];
            md.Clear();
            c[..Math.Min(c.Length, Size)].CopyTo(md);
            uint dataField = U32(md, DataOff), dataEnd = U32(md, DataEndOff), dataMeta = U32(md, DataMetaOff);
            ingress = U32(md, IngressIfindexOff);
            rxQueue = U32(md, RxQueueOff);
            // Linux 6.18 takes data_end < packet size as a multi-buffer packet (the rest in frags); the VM has no frags.
            if (dataMeta == 0 && dataField <= dataEnd && dataEnd < data.Length)
                throw Invalid($"xdp_md ctx_in data_end {dataEnd} below the packet size {data.Length} asks for a multi-buffer (frags) packet, which the SharpBpf VM does not emulate", SharpBpf.Errno.EOPNOTSUPP);
            if (dataMeta != 0 || dataEnd != data.Length || dataField > dataEnd || dataField % 4 != 0 || dataField > MaxMetaLength)
                throw Invalid("xdp_md ctx_in needs data_meta 0, data_end = packet size, and data = metadata length (a multiple of 4, at most 252)");
            if (U32(md, EgressIfindexOff) != 0)
                throw Invalid("xdp_md ctx_in egress_ifindex must be 0");
            if (ingress == 0 && rxQueue != 0)
                throw Invalid("xdp_md ctx_in rx_queue_index needs an ingress_ifindex");
            // The kernel checks the queue against the device's rx queues; the loopback device (ifindex 1) has one.
            if (ingress == 1 && rxQueue != 0)
                throw Invalid($"xdp_md ctx_in rx_queue_index {rxQueue} does not exist on the loopback device (ifindex 1), which has one rx queue");
            meta = (int)dataField;
        }
        Prepare(cx, data, meta, ingress, rxQueue);
        return (Address(cx), 0);
    }

    public override (ulong R1, ulong R2) SetupPacket(VmCallContext cx, ReadOnlySpan<byte> packet)
    {
        Prepare(cx, packet, 0, 0, 0);
        return (Address(cx), 0);
    }

    private static unsafe ulong Address(VmCallContext cx) => (ulong)cx.CtxBuffer;

    private void Prepare(VmCallContext cx, ReadOnlySpan<byte> data, int meta, uint ingress, uint rxQueue)
    {
        if (data.Length < EthHeader || data.Length > MaxData)
            throw Invalid($"XDP packets must be {EthHeader}..{MaxData} bytes (got {data.Length}; larger frames need xdp.frags)");
        cx.SetPacket(data, Headroom - meta, FrameSize, FrameSize - SharedInfoSize, meta, writable: true);
        var ctx = CtxSpan(cx, Size);
        ctx.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(ctx[IngressIfindexOff..], ingress);
        BinaryPrimitives.WriteUInt32LittleEndian(ctx[RxQueueOff..], rxQueue);
        cx.Context = this;
    }

    private static uint U32(ReadOnlySpan<byte> s, int off) => BinaryPrimitives.ReadUInt32LittleEndian(s[off..]);

    public override bool TryLoad(VmCallContext cx, int offset, int size, out ulong value)
    {
        value = 0;
        if (size != 4 || offset % 4 != 0 || offset < 0 || offset >= Size)
            return false;
        value = offset switch
        {
            DataOff => (ulong)cx.Data,
            DataEndOff => (ulong)cx.DataEnd,
            DataMetaOff => (ulong)cx.DataMeta,
            // test_run receives on the loopback device's queue 0 unless ctx_in names a device; ctx_out keeps what was given.
            IngressIfindexOff when ReadU32(cx, offset) == 0 => LoopbackIfindex,
            _ => ReadU32(cx, offset),
        };
        return true;
    }

    public override (byte[] DataOut, byte[]? ContextOut) Finish(VmCallContext cx)
    {
        var ctxOut = new byte[Size];
        BinaryPrimitives.WriteUInt32LittleEndian(ctxOut.AsSpan(DataOff), (uint)(cx.Data - cx.DataMeta));
        BinaryPrimitives.WriteUInt32LittleEndian(ctxOut.AsSpan(DataEndOff), (uint)(cx.DataEnd - cx.DataMeta));
        BinaryPrimitives.WriteUInt32LittleEndian(ctxOut.AsSpan(IngressIfindexOff), ReadU32(cx, IngressIfindexOff));
        BinaryPrimitives.WriteUInt32LittleEndian(ctxOut.AsSpan(RxQueueOff), ReadU32(cx, RxQueueOff));
        return (PacketBytes(cx, cx.DataMeta), ctxOut);
    }
}
