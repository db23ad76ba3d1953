using System.Buffers.Binary;

namespace SharpBpf.Packets;

/// <summary>
/// Reads capture files: classic libpcap (either byte order, microsecond or nanosecond timestamps) and
/// pcapng (either byte order per section, any number of sections and interfaces). Packets are read lazily
/// as the sequence is enumerated; a corrupt or truncated file throws <see cref="BpfFormatException"/>
/// naming the offset.
/// </summary>
public static class PcapReader
{
    /// <summary>Reads every packet of the file at <paramref name="path"/>; the file is closed when enumeration ends.</summary>
    public static IEnumerable<CapturedPacket> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        foreach (var packet in Read(stream, path))
            yield return packet;
    }

    /// <summary>Reads packets from <paramref name="stream"/> from its current position (the stream is left open).</summary>
    /// <param name="name">Names the input in error messages.</param>
    public static IEnumerable<CapturedPacket> Read(Stream stream, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return ReadCore(stream, name);
    }

    /// <summary>Reads a whole capture held in memory.</summary>
    public static IReadOnlyList<CapturedPacket> Read(ReadOnlyMemory<byte> capture, string? name = null)
    {
        using var stream = new MemoryStream(capture.ToArray(), writable: false);
        return ReadCore(stream, name).ToList();
    }

    private static IEnumerable<CapturedPacket> ReadCore(Stream stream, string? name)
    {
        var input = new CaptureInput(stream, name);
        var first4 = ReadMagic(input);
        var packets = IsPcapNg(first4) ? PcapNgParser.Parse(input, first4) : ClassicPcapParser.Parse(input, first4);
        foreach (var packet in packets)
            yield return packet;
    }

    /// <summary>The file's first four bytes, checked to be a pcap or pcapng magic.</summary>
    internal static byte[] ReadMagic(CaptureInput input)
    {
        var first4 = new byte[4];
        if (!input.TryReadExactly(first4, "capture file magic"))
            throw input.Error("empty file: not a pcap or pcapng capture", 0);
        var little = BinaryPrimitives.ReadUInt32LittleEndian(first4);
        var big = BinaryPrimitives.ReadUInt32BigEndian(first4);
        if (!IsPcapNg(first4) && little is not (PcapFormat.MicrosecondMagic or PcapFormat.NanosecondMagic)
            && big is not (PcapFormat.MicrosecondMagic or PcapFormat.NanosecondMagic))
            throw input.Error($"unknown capture file magic {Convert.ToHexString(first4)}: expected pcap (A1B2C3D4, A1B23C4D in either order) or pcapng (0A0D0D0A)", 0);
        return first4;
    }

    internal static bool IsPcapNg(ReadOnlySpan<byte> first4) => BinaryPrimitives.ReadUInt32LittleEndian(first4) == PcapFormat.NgSectionHeader;
}
