using System.Buffers.Binary;

namespace SharpBpf.Packets;

/// <summary>Classic libpcap files: a 24-byte header, then 16-byte record headers each followed by the frame.</summary>
internal static class ClassicPcapParser
{
    /// <summary><paramref name="first4"/> holds the magic already read from <paramref name="input"/>.</summary>
    public static IEnumerable<CapturedPacket> Parse(CaptureInput input, ReadOnlySpan<byte> first4) => Records(Open(input, first4));

    /// <summary>Reads the file header (after the magic in <paramref name="first4"/>); the cursor is before the first record.</summary>
    public static ClassicRecordCursor Open(CaptureInput input, ReadOnlySpan<byte> first4)
    {
        var (bigEndian, nanoseconds) = BinaryPrimitives.ReadUInt32LittleEndian(first4) switch
        {
            PcapFormat.MicrosecondMagic => (false, false),
            PcapFormat.NanosecondMagic => (false, true),
            _ when BinaryPrimitives.ReadUInt32BigEndian(first4) == PcapFormat.MicrosecondMagic => (true, false),
            _ => (true, true),
        };
        input.BigEndian = bigEndian;
        Span<byte> rest = stackalloc byte[PcapFormat.ClassicHeaderSize - 4];
        input.ReadExactly(rest, "pcap file header", structureStart: 0);
        var major = input.U16(rest);
        if (major != 2)
            throw input.Error($"unsupported pcap version {major}.{input.U16(rest[2..])} (expected 2.x)", 4);
        // The upper bits of the link-type field carry FCS information in newer files.
        var linkType = (int)(input.U32(rest[16..]) & 0x0FFFFFFF);
        return new ClassicRecordCursor(input, linkType, nanoseconds ? 1_000_000_000UL : 1_000_000UL);
    }

    private static IEnumerable<CapturedPacket> Records(ClassicRecordCursor records)
    {
        while (records.MoveNext())
            yield return new CapturedPacket(records.Timestamp, records.Data.ToArray(), records.OriginalLength, records.LinkType);
    }
}
