using System.Buffers.Binary;

namespace SharpBpf.Packets;

/// <summary>Classic libpcap files: a 24-byte header, then 16-byte record headers each followed by the frame.</summary>
internal static class ClassicPcapParser
{
    /// <summary><paramref name="first4"/> holds the magic already read from <paramref name="input"/>.</summary>
    public static IEnumerable<CapturedPacket> Parse(CaptureInput input, ReadOnlySpan<byte> first4)
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
        return Records(input, linkType, nanoseconds ? 1_000_000_000UL : 1_000_000UL);
    }

    private static IEnumerable<CapturedPacket> Records(CaptureInput input, int linkType, ulong unitsPerSecond)
    {
        var header = new byte[PcapFormat.ClassicRecordHeaderSize];
        while (true)
        {
            var at = input.Offset;
            if (!input.TryReadExactly(header, "packet record header"))
                yield break;
            var seconds = input.U32(header);
            var fraction = input.U32(header.AsSpan(4));
            var captured = input.U32(header.AsSpan(8));
            var original = input.U32(header.AsSpan(12));
            if (captured > PcapFormat.MaxPacketLength)
                throw input.Error($"packet record claims {captured} captured bytes (limit {PcapFormat.MaxPacketLength}): corrupt record", at + 8);
            if (original > int.MaxValue)
                throw input.Error($"packet record claims an original length of {original} bytes: corrupt record", at + 12);
            if (fraction >= unitsPerSecond)
                throw input.Error($"packet record's sub-second timestamp {fraction} is not below {unitsPerSecond}: corrupt record", at + 4);
            var data = input.ReadBytes((int)captured, "packet data");
            var when = CaptureTime.FromUnits(seconds * unitsPerSecond + fraction, unitsPerSecond, 0)!.Value;
            yield return new CapturedPacket(when, data, (int)original, linkType);
        }
    }
}
