using SharpBpf.Packets;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Packets;

public class PcapReaderTests
{
    private static string SamplePcap => Path.Combine(TestPrograms.RepoRoot, "examples", "xdp-blacklist", "sample.pcap");

    public static TheoryData<string> RealFiles => new(RealCaptures.Files);

    [SkippableTheory]
    [MemberData(nameof(RealFiles))]
    public void ReadsWhatTcpdumpTsharkAndEditcapWroteAsTsharkDoes(string file)
    {
        var path = Path.Combine(RealCaptures.Directory, file);
        var packets = PcapReader.Read(path).ToList();
        Assert.True(packets.Count >= 6, $"{file}: only {packets.Count} packets captured");
        Assert.Contains(packets, p => p.OriginalLength == 14 + 20 + 8 + 1400); // the largest UDP datagram sent
        Assert.All(packets, p => Assert.Equal(LinkTypes.Ethernet, p.LinkType));
        TsharkFrames.AssertSame(TsharkFrames.Read(path), packets);
        if (file.Contains("snap64"))
            Assert.Contains(packets, p => p.IsTruncated && p.Data.Length == 64);
    }

    [SkippableFact]
    public void NanosecondCaptureKeepsSubMicrosecondDigitsTo100ns()
    {
        var micro = PcapReader.Read(Path.Combine(RealCaptures.Directory, "tshark.pcapng")).ToList();
        var nano = PcapReader.Read(Path.Combine(RealCaptures.Directory, "editcap-ns.pcap")).ToList();
        Assert.Equal(micro.Select(p => p.Timestamp), nano.Select(p => p.Timestamp));
        Assert.Equal(micro.Select(p => p.Data.Length), nano.Select(p => p.Data.Length));
    }

    [SkippableFact]
    public void ReadsTheExampleCaptureAsTsharkDoes()
    {
        var packets = PcapReader.Read(SamplePcap).ToList();
        Assert.Equal(198, packets.Count);
        Assert.Single(packets, p => p.IsTruncated);
        TsharkFrames.AssertSame(TsharkFrames.Read(SamplePcap), packets);
    }

    [SkippableFact]
    public void ReadsBigEndianAndNanosecondClassicFilesAsTsharkDoes()
    {
        var packets = PcapReader.Read(SamplePcap).Take(20).ToList();
        foreach (var (big, nano) in new[] { (true, false), (true, true), (false, true) })
        {
            var path = TempFile(CaptureBuilder.Classic(packets, big, nano));
            var read = PcapReader.Read(path).ToList();
            Assert.Equal(packets, read, PacketComparer.Instance);
            TsharkFrames.AssertSame(TsharkFrames.Read(path), read);
        }
    }

    [SkippableFact]
    public void ReadsMultiSectionPcapngInBothByteOrdersWithSimpleAndUnknownBlocksAsTsharkDoes()
    {
        var frames = PcapReader.Read(SamplePcap).Take(6).Select(p => p.Data).ToList();
        var bytes = new CaptureBuilder()
            .Section(bigEndian: true)
            .Unknown(0x00001234, 10) // not 0x00000BAD: that is a custom block, which tshark shows as a record
            .Interface(LinkTypes.Ethernet, 0, tsresol: 9)
            .Enhanced(0, 1_790_000_000_123_456_789UL, frames[0], frames[0].Length)
            .Interface(LinkTypes.Ethernet, 0, tsresol: 0x80 | 20)
            .Enhanced(1, (1_790_000_001UL << 20) + (1 << 19), frames[1], frames[1].Length + 4)
            .Unknown(0x80000001, 3)
            .Section(bigEndian: false)
            .Interface(LinkTypes.Ethernet, 40, tsresol: null)
            .Simple(frames[2], snapLength: 40)
            .Enhanced(0, 1_790_000_002_000_001UL, frames[3], frames[3].Length)
            .Section(bigEndian: true)
            .Interface(LinkTypes.Raw, 0, tsresol: 3)
            .Enhanced(0, 1_790_000_003_250UL, frames[4][14..], frames[4].Length - 14)
            .ToArray();
        var path = TempFile(bytes);
        var packets = PcapReader.Read(path).ToList();

        Assert.Equal(5, packets.Count);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_790_000_000).AddTicks(1_234_567), packets[0].Timestamp);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_790_000_001).AddTicks(5_000_000), packets[1].Timestamp);
        Assert.True(packets[1].IsTruncated);
        Assert.Equal(40, packets[2].Data.Length); // simple packet block, cut to the interface's snapshot length
        Assert.Equal(frames[2].Length, packets[2].OriginalLength);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_790_000_003).AddMilliseconds(250), packets[4].Timestamp);
        Assert.Equal(LinkTypes.Raw, packets[4].LinkType);

        var expected = TsharkFrames.Read(path);
        TsharkFrames.AssertSame(expected.Where((_, i) => i != 2).ToList(), packets.Where((_, i) => i != 2).ToList());
        TsharkFrames.AssertSame([expected[2]], [packets[2]], compareTime: false); // tshark has no time for it either
    }

    [SkippableFact]
    public void CommittedSampleIsWhatTheScriptGenerates()
    {
        var python = Requirements.Tool("python3");
        var path = Path.Combine(Path.GetTempPath(), $"sharpbpf-sample-{Guid.NewGuid():N}.pcap");
        try
        {
            var (code, _, stderr) = TestPrograms.Run(python, [Path.Combine(Path.GetDirectoryName(SamplePcap)!, "make-capture.py"), path]);
            Assert.True(code == 0, stderr);
            Assert.Equal(File.ReadAllBytes(SamplePcap), File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void WriterOutputIsByteForByteTheGeneratedSample()
    {
        var packets = PcapReader.Read(SamplePcap).ToList();
        using var written = new MemoryStream();
        using (var writer = new PcapWriter(written, LinkTypes.Ethernet, snapLength: 65535, leaveOpen: true))
            foreach (var p in packets)
                writer.Write(p);
        Assert.Equal(File.ReadAllBytes(SamplePcap), written.ToArray());
    }

    [Fact]
    public void NanosecondWriterRoundTrips()
    {
        var packets = PcapReader.Read(SamplePcap).Select(p => p with { Timestamp = p.Timestamp.AddTicks(3) }).ToList();
        var path = Path.Combine(Path.GetTempPath(), $"sharpbpf-ns-{Guid.NewGuid():N}.pcap");
        try
        {
            PcapWriter.Write(path, packets, nanoseconds: true);
            Assert.Equal(packets, PcapReader.Read(path).ToList(), PacketComparer.Instance);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void WriterRefusesAMixOfLinkTypes()
    {
        using var writer = new PcapWriter(new MemoryStream(), LinkTypes.Ethernet);
        Assert.Throws<ArgumentException>(() => writer.Write(new CapturedPacket(DateTimeOffset.UnixEpoch, [1, 2], 2, LinkTypes.Raw)));
    }

    private static string TempFile(byte[] bytes)
    {
        var path = Path.Combine(Path.GetTempPath(), $"sharpbpf-test-{Guid.NewGuid():N}.pcap");
        File.WriteAllBytes(path, bytes);
        Cleanup.Add(path);
        return path;
    }

    private static readonly List<string> Cleanup = CreateCleanup();

    private static List<string> CreateCleanup()
    {
        var list = new List<string>();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (list)
                list.ForEach(File.Delete);
        };
        return list;
    }

    private sealed class PacketComparer : IEqualityComparer<CapturedPacket>
    {
        public static readonly PacketComparer Instance = new();
        public bool Equals(CapturedPacket? x, CapturedPacket? y) =>
            x is not null && y is not null && x.Timestamp == y.Timestamp && x.OriginalLength == y.OriginalLength
            && x.LinkType == y.LinkType && x.Data.AsSpan().SequenceEqual(y.Data);
        public int GetHashCode(CapturedPacket obj) => obj.OriginalLength;
    }
}
