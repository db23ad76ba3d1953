using System.Buffers.Binary;

namespace SharpBpf.Vm.Contexts;

/// <summary>
/// <c>struct __sk_buff</c> as the kernel's <c>bpf_prog_test_run_skb</c> fills it, for tc (sched_cls/sched_act: the packet
/// starts at the Ethernet header, direct packet access through data/data_end) and socket filters (the packet starts at
/// the network header, no direct packet access, only cb[] writable). ctx_in may set mark, priority, ingress_ifindex,
/// ifindex, cb, tstamp, wire_len, gso_segs, gso_size and hwtstamp (anything else non-zero is refused, as the kernel);
/// ctx_out returns those same fields.
/// </summary>
internal sealed class SkbContext : VmContext
{
    public static readonly SkbContext TrafficControl = new(isL2: true);
    public static readonly SkbContext SocketFilter = new(isL2: false);

    private const int Headroom = 64;            // NET_SKB_PAD + NET_IP_ALIGN on x86-64
    private const int SharedInfoSize = 320;
    private const int MaxData = 4096 - Headroom - SharedInfoSize;
    private const int EthHeader = 14;

    // Offsets in struct __sk_buff (checked against linux/bpf.h with clang).
    private const int Len = 0, PktType = 4, Mark = 8, QueueMapping = 12, Protocol = 16, VlanPresent = 20, VlanTci = 24,
        VlanProto = 28, Priority = 32, IngressIfindex = 36, Ifindex = 40, TcIndex = 44, Cb = 48, CbEnd = 68,
        TcClassid = 72, Data = 76, DataEnd = 80, NapiId = 84, Family = 88, DataMeta = 140,
        FlowKeys = 144, Tstamp = 152, WireLen = 160, GsoSegs = 164, Sk = 168, GsoSize = 176, TstampType = 180, Hwtstamp = 184;
    private const int StructSize = 192;

    /// <summary>The fields ctx_in may set and ctx_out returns: (offset, size).</summary>
    private static readonly (int Offset, int Size)[] TestRunFields =
    [
        (Mark, 4), (Priority, 4), (IngressIfindex, 4), (Ifindex, 4), (Cb, 20), (Tstamp, 8), (WireLen, 4), (GsoSegs, 4),
        (GsoSize, 4), (Hwtstamp, 8),
    ];

    private readonly bool _isL2;

    private SkbContext(bool isL2) => _isL2 = isL2;

    public override string Name => "__sk_buff";

    public override VmPacketField PacketPointerAt(int offset) => !_isL2 ? VmPacketField.None : offset switch
    {
        Data => VmPacketField.Data,
        DataEnd => VmPacketField.DataEnd,
        DataMeta => VmPacketField.DataMeta,
        _ => VmPacketField.None,
    };
    public override int Size => StructSize;

    public override (ulong R1, ulong R2) Setup(VmCallContext cx, RunInput input)
    {
        Span<byte> ctxIn = stackalloc byte[StructSize];
        ctxIn.Clear();
        if (input.Context is { } given)
        {
            var c = given.Span;
            if (c.Length > StructSize && c[StructSize..].IndexOfAnyExcept((byte)0) >= 0)
                throw Invalid("__sk_buff ctx_in has non-zero bytes beyond the struct", SharpBpf.Errno.E2BIG);
            c[..Math.Min(c.Length, StructSize)].CopyTo(ctxIn);
            Span<byte> allowed = stackalloc byte[StructSize];
            allowed.Clear();
            foreach (var (off, size) in TestRunFields)
                allowed.Slice(off, size).Fill(1);
            for (int i = 0; i < StructSize; i++)
            {
                if (ctxIn[i] != 0 && allowed[i] == 0)
                    throw Invalid($"__sk_buff ctx_in sets a field test_run does not accept (byte {i}); only mark, priority, ingress_ifindex, ifindex, cb, tstamp, wire_len, gso_segs, gso_size, hwtstamp");
            }
            uint wire = U32(ctxIn, WireLen);
            int len = _isL2 ? input.Data.Length : input.Data.Length - EthHeader;
            if (wire != 0 && wire < len)
                throw Invalid("__sk_buff ctx_in wire_len is smaller than the packet");
        }
        Prepare(cx, input.Data.Span, ctxIn);
        return (Address(cx), 0);
    }

    public override (ulong R1, ulong R2) SetupPacket(VmCallContext cx, ReadOnlySpan<byte> packet)
    {
        Span<byte> ctxIn = stackalloc byte[StructSize];
        ctxIn.Clear();
        Prepare(cx, packet, ctxIn);
        return (Address(cx), 0);
    }

    private static unsafe ulong Address(VmCallContext cx) => (ulong)cx.CtxBuffer;
    private static uint U32(ReadOnlySpan<byte> s, int off) => BinaryPrimitives.ReadUInt32LittleEndian(s[off..]);

    private void Prepare(VmCallContext cx, ReadOnlySpan<byte> data, ReadOnlySpan<byte> ctxIn)
    {
        if (data.Length < EthHeader || data.Length > MaxData)
            throw Invalid($"skb packets must be {EthHeader}..{MaxData} bytes (got {data.Length})");
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(data[12..]);
        // test_run reads the IP addresses for the socket: the kernel refuses IPv4/IPv6 frames shorter than their header.
        if ((etherType == 0x0800 && data.Length < EthHeader + 20) || (etherType == 0x86dd && data.Length < EthHeader + 40))
            throw Invalid($"the packet ({data.Length} bytes) is too short for its {(etherType == 0x0800 ? "IPv4" : "IPv6")} header");
        // Socket filters see the packet from the network header on: eth_type_trans pulled the Ethernet header.
        cx.SetPacket(data, Headroom, 4096, 4096 - SharedInfoSize, metaLength: 0, writable: _isL2);
        if (!_isL2)
        {
            cx.Data += EthHeader;
            cx.DataMeta = cx.Data;
        }
        var ctx = CtxSpan(cx, StructSize);
        ctxIn.CopyTo(ctx);
        int len = (int)(cx.DataEnd - cx.Data);
        BinaryPrimitives.WriteUInt32LittleEndian(ctx[Len..], (uint)len);
        // eth_type_trans on the loopback device: its address and its broadcast address are both 00:00:00:00:00:00, so
        // ff:ff:ff:ff:ff:ff is PACKET_MULTICAST like any group address, and any other unicast address PACKET_OTHERHOST.
        var dest = data[..6];
        uint pktType = (dest[0] & 1) != 0 ? 2u : dest.IndexOfAnyExcept((byte)0) < 0 ? 0u : 3u;
        // skb->protocol is big-endian; programs read it as the u32 holding those two bytes in memory order.
        uint protocol = etherType >= 0x600 ? BinaryPrimitives.ReverseEndianness(etherType) : BinaryPrimitives.ReverseEndianness((ushort)0x0004);
        BinaryPrimitives.WriteUInt32LittleEndian(ctx[PktType..], pktType);
        BinaryPrimitives.WriteUInt32LittleEndian(ctx[Protocol..], protocol);
        if (U32(ctx, Ifindex) == 0)
            BinaryPrimitives.WriteUInt32LittleEndian(ctx[Ifindex..], 1); // the loopback device
        if (U32(ctx, WireLen) == 0)
            BinaryPrimitives.WriteUInt32LittleEndian(ctx[WireLen..], (uint)len);
        cx.Context = this;
    }

    /// <summary>skb->protocol as the EtherType (host order).</summary>
    internal static ushort EtherType(VmCallContext cx) => BinaryPrimitives.ReverseEndianness((ushort)U32(CtxSpan(cx, StructSize), Protocol));

    /// <summary>After a helper resized the packet or changed its outer header: skb->len, and skb->protocol when given.</summary>
    internal static void PacketChanged(VmCallContext cx, ushort? etherType = null)
    {
        var ctx = CtxSpan(cx, StructSize);
        BinaryPrimitives.WriteUInt32LittleEndian(ctx[Len..], (uint)(cx.DataEnd - cx.Data));
        if (etherType is { } type)
            BinaryPrimitives.WriteUInt32LittleEndian(ctx[Protocol..], BinaryPrimitives.ReverseEndianness(type));
    }

    public override bool TryLoad(VmCallContext cx, int offset, int size, out ulong value)
    {
        value = 0;
        if (offset < 0 || offset + size > StructSize || offset % size != 0)
            return false;
        switch (offset)
        {
            case >= Data and < NapiId:
            case >= DataMeta and < FlowKeys:
                // Direct packet access: tc only, whole u32 fields, read as pointers.
                if (!_isL2 || size != 4)
                    return false;
                value = offset switch { Data => (ulong)cx.Data, DataEnd => (ulong)cx.DataEnd, _ => (ulong)cx.DataMeta };
                return true;
            case >= Family and < DataMeta:   // the socket's addresses and ports: not for tc or socket filters
            case >= FlowKeys and < Tstamp:   // flow_keys: flow dissector only
            case >= Sk and < GsoSize:        // sk: a kernel pointer
            case > TstampType and < Hwtstamp:
                return false;
            case Tstamp or Hwtstamp:
                if (!_isL2 || size != 8)
                    return false;
                value = ReadU64(cx, offset);
                return true;
            case >= TcClassid and < Data:
            case >= WireLen and < GsoSegs:
            case TstampType:
                if (!_isL2)
                    return false;
                break;
        }
        bool cb = offset >= Cb && offset + size <= CbEnd; // any width inside cb[], 8 bytes included, as the kernel
        if (!cb && (size == 8 || (offset >= Tstamp && offset < Tstamp + 8) || (offset >= Hwtstamp)))
            return false;
        value = ReadBytes(cx, offset, size);
        return true;
    }

    public override bool TryStore(VmCallContext cx, int offset, int size, ulong value)
    {
        if (offset < 0 || offset + size > StructSize || offset % size != 0)
            return false;
        bool cb = offset >= Cb && offset + size <= CbEnd;
        bool ok = cb || (_isL2 && (
            (size == 4 && offset is Mark or TcIndex or Priority or TcClassid or QueueMapping) ||
            (size == 8 && offset == Tstamp)));
        if (!ok)
            return false;
        WriteBytes(cx, offset, size, value);
        return true;
    }

    public override unsafe (byte[] DataOut, byte[]? ContextOut) Finish(VmCallContext cx)
    {
        var ctxOut = new byte[StructSize];
        var ctx = CtxSpan(cx, StructSize);
        foreach (var (off, size) in TestRunFields)
            ctx.Slice(off, size).CopyTo(ctxOut.AsSpan(off));
        byte[] dataOut;
        if (_isL2)
        {
            dataOut = PacketBytes(cx, cx.Data);
        }
        else
        {
            // The kernel pushes a zeroed Ethernet header back before copying a socket filter's packet out.
            dataOut = new byte[EthHeader + (int)(cx.DataEnd - cx.Data)];
            new ReadOnlySpan<byte>((void*)cx.Data, (int)(cx.DataEnd - cx.Data)).CopyTo(dataOut.AsSpan(EthHeader));
        }
        return (dataOut, ctxOut);
    }
}
