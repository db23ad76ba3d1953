namespace SharpBpf.Packets;

/// <summary>One frame from a capture file.</summary>
/// <param name="Timestamp">When it was captured (to 100 ns; pcapng simple packet blocks carry none: the Unix epoch).</param>
/// <param name="Data">The captured bytes (possibly fewer than <paramref name="OriginalLength"/>).</param>
/// <param name="OriginalLength">The frame's length on the wire.</param>
/// <param name="LinkType">The LINKTYPE_* value of its interface (see <see cref="LinkTypes"/>).</param>
public sealed record CapturedPacket(DateTimeOffset Timestamp, byte[] Data, int OriginalLength, int LinkType)
{
    /// <summary>True when the capture kept fewer bytes than were on the wire.</summary>
    public bool IsTruncated => Data.Length < OriginalLength;
}

/// <summary>The LINKTYPE_* values (tcpdump.org/linktypes.html) the project meets most.</summary>
public static class LinkTypes
{
    public const int Null = 0;
    public const int Ethernet = 1;
    public const int Raw = 101;
    public const int Loopback = 108;
    public const int LinuxSll = 113;
    public const int Ipv4 = 228;
    public const int Ipv6 = 229;
    public const int LinuxSll2 = 276;
}
