using SharpBpf.Packets;

namespace SharpBpf.Tests.Packets;

/// <summary>
/// <see cref="CaptureCursor"/> (what `sharpbpf filter -r` reads with) gives the packets <see cref="PcapReader"/> gives,
/// across its buffer's refills, and the same errors.
/// </summary>
public class CaptureCursorTests
{
    private static List<CapturedPacket> ReadWithCursor(string path)
    {
        using var cursor = CaptureCursor.Open(path);
        var packets = new List<CapturedPacket>();
        while (cursor.MoveNext())
        {
            var packet = cursor.Current;
            Assert.True(cursor.Data.SequenceEqual(packet.Data));
            Assert.Equal(packet.OriginalLength, cursor.OriginalLength);
            Assert.Equal(packet.LinkType, cursor.LinkType);
            packets.Add(packet);
        }
        return packets;
    }

    private static void AssertSamePackets(IReadOnlyList<CapturedPacket> expected, IReadOnlyList<CapturedPacket> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Timestamp, actual[i].Timestamp);
            Assert.Equal(expected[i].OriginalLength, actual[i].OriginalLength);
            Assert.Equal(expected[i].LinkType, actual[i].LinkType);
            Assert.Equal(expected[i].Data, actual[i].Data);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(CaptureFiles))]
    public void RealCapturesReadAsThePacketReaderReadsThem(string file)
    {
        var path = Path.Combine(RealCaptures.Directory, file);
        AssertSamePackets(PcapReader.Read(path).ToList(), ReadWithCursor(path));
    }

    public static TheoryData<string> CaptureFiles() => [.. RealCaptures.Files];

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void RecordsAcrossRefillsAndLargerThanTheBufferAreWhole(bool bigEndian, bool nanoseconds)
    {
        // Odd sizes so records straddle every 1 MiB refill; two frames larger than the buffer itself.
        static byte[] Frame(int i) =>
            [.. Enumerable.Range(0, i is 1000 or 2999 ? (3 << 20) + 5 : 60 + i % 1400).Select(b => (byte)(b * 31 + i))];
        var packets = Enumerable.Range(0, 3000)
            .Select(i => Frame(i))
            .Select((data, i) => new CapturedPacket(DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_000 + i).AddTicks(i * 10),
                data, data.Length + i % 3, LinkTypes.Ethernet))
            .ToList();
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, CaptureBuilder.Classic(packets, bigEndian, nanoseconds));
            var cursor = ReadWithCursor(path);
            AssertSamePackets(PcapReader.Read(path).ToList(), cursor);
            AssertSamePackets(packets, cursor);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TruncatedCaptureFailsAsThePacketReaderFails()
    {
        var sample = File.ReadAllBytes(Path.Combine(Support.TestPrograms.RepoRoot, "examples", "xdp-blacklist", "sample.pcap"));
        var path = Path.GetTempFileName();
        try
        {
            foreach (var cut in new[] { 24 + 16 + 10, 24 + 5, 10, 0 })
            {
                File.WriteAllBytes(path, sample[..cut]);
                var expected = Assert.Throws<BpfFormatException>(() => PcapReader.Read(path).ToList());
                var actual = Assert.Throws<BpfFormatException>(() => ReadWithCursor(path));
                Assert.Equal(expected.Message, actual.Message);
                Assert.Equal(expected.Offset, actual.Offset);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
