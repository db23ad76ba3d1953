namespace SharpBpf.Cbpf;

/// <summary>
/// What a classic filter sees: the packet bytes and the socket-buffer metadata that the kernel's ancillary
/// loads (SKF_AD_*) read. Fields a capture cannot know stay 0, as the kernel's test_run leaves them.
/// </summary>
public sealed class CbpfPacket
{
    public CbpfPacket(ReadOnlyMemory<byte> data, uint? wireLength = null)
    {
        Data = data;
        WireLength = wireLength ?? (uint)data.Length;
    }

    public ReadOnlyMemory<byte> Data { get; }
    /// <summary>What <c>ld #pktlen</c> and SKF_AD len see (the original length of a captured frame).</summary>
    public uint WireLength { get; }
    /// <summary>skb->protocol, in network byte order as the kernel stores it (SKF_AD_PROTOCOL returns it swapped to host order).</summary>
    public ushort Protocol { get; init; }
    public byte PacketType { get; init; }
    public uint IfIndex { get; init; }
    public uint Mark { get; init; }
    public ushort Queue { get; init; }
    public ushort HardwareType { get; init; }
    public uint RxHash { get; init; }
    public uint Cpu { get; init; }
    public ushort VlanTci { get; init; }
    public bool VlanPresent { get; init; }
    public ushort VlanProtocol { get; init; }
    /// <summary>Where the network header starts (SKF_NET_OFF loads are relative to it).</summary>
    public int NetworkOffset { get; init; }
    /// <summary>SKF_AD_RANDOM's source (the kernel's get_random_u32); null: a shared generator.</summary>
    public Func<uint>? Random { get; init; }
}
