using System.Buffers.Binary;

namespace SharpBpf.Packets;

/// <summary>
/// Writes classic libpcap files (little-endian; microsecond or nanosecond timestamps), the format every
/// capture tool reads.
/// </summary>
public sealed class PcapWriter : IDisposable
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly bool _nanoseconds;
    private readonly byte[] _header = new byte[PcapFormat.ClassicRecordHeaderSize];

    /// <summary>Starts a capture on <paramref name="stream"/> by writing the file header.</summary>
    /// <param name="linkType">LINKTYPE_* of every packet written (see <see cref="LinkTypes"/>).</param>
    /// <param name="snapLength">The snapshot length recorded in the header.</param>
    /// <param name="nanoseconds">Write the nanosecond variant (magic A1B23C4D) instead of microseconds.</param>
    public PcapWriter(Stream stream, int linkType = LinkTypes.Ethernet, int snapLength = 262144, bool nanoseconds = false, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(linkType);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(snapLength);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _nanoseconds = nanoseconds;
        LinkType = linkType;
        SnapLength = snapLength;
        Span<byte> header = stackalloc byte[PcapFormat.ClassicHeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(header, nanoseconds ? PcapFormat.NanosecondMagic : PcapFormat.MicrosecondMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0);  // thiszone
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0); // sigfigs
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], snapLength);
        BinaryPrimitives.WriteInt32LittleEndian(header[20..], linkType);
        _stream.Write(header);
    }

    public int LinkType { get; }
    public int SnapLength { get; }

    /// <summary>Writes every packet to a new file at <paramref name="path"/>, using the first packet's link type.</summary>
    public static void Write(string path, IEnumerable<CapturedPacket> packets, bool nanoseconds = false)
    {
        var list = packets as IReadOnlyCollection<CapturedPacket> ?? packets.ToList();
        var linkType = list.FirstOrDefault()?.LinkType ?? LinkTypes.Ethernet;
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        using var writer = new PcapWriter(file, linkType, nanoseconds: nanoseconds);
        foreach (var packet in list)
            writer.Write(packet);
    }

    /// <summary>Appends <paramref name="packet"/>; its link type must be the file's.</summary>
    public void Write(CapturedPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        if (packet.LinkType != LinkType)
            throw new ArgumentException($"packet has link type {packet.LinkType} but this pcap file holds link type {LinkType}; classic pcap has one link type per file", nameof(packet));
        Write(packet.Data, packet.Timestamp, packet.OriginalLength);
    }

    /// <summary>Appends a frame captured at <paramref name="timestamp"/> (original length defaults to the data's).</summary>
    public void Write(ReadOnlySpan<byte> data, DateTimeOffset timestamp, int? originalLength = null)
    {
        var original = originalLength ?? data.Length;
        if (original < data.Length)
            throw new ArgumentException($"original length {original} is shorter than the {data.Length} captured bytes", nameof(originalLength));
        var sinceEpoch = timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        if (sinceEpoch < 0 || sinceEpoch / TimeSpan.TicksPerSecond > uint.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(timestamp), timestamp, "classic pcap timestamps cover 1970-01-01 to 2106-02-07");
        var seconds = (uint)(sinceEpoch / TimeSpan.TicksPerSecond);
        var ticks = sinceEpoch % TimeSpan.TicksPerSecond;
        var fraction = _nanoseconds ? (uint)(ticks * 100) : (uint)(ticks / 10);
        BinaryPrimitives.WriteUInt32LittleEndian(_header, seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(_header.AsSpan(4), fraction);
        BinaryPrimitives.WriteInt32LittleEndian(_header.AsSpan(8), data.Length);
        BinaryPrimitives.WriteInt32LittleEndian(_header.AsSpan(12), original);
        _stream.Write(_header);
        _stream.Write(data);
    }

    public void Flush() => _stream.Flush();

    public void Dispose()
    {
        _stream.Flush();
        if (!_leaveOpen)
            _stream.Dispose();
    }
}
