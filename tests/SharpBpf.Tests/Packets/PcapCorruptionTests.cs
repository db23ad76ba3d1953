using SharpBpf.Packets;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Packets;

public class PcapCorruptionTests
{
    private static readonly byte[] Sample = File.ReadAllBytes(Path.Combine(TestPrograms.RepoRoot, "examples", "xdp-blacklist", "sample.pcap"));

    private static byte[] SamplePcapng()
    {
        var frames = PcapReader.Read(Sample).Take(8).ToList();
        var b = new CaptureBuilder().Section(bigEndian: false).Interface(LinkTypes.Ethernet, 0, tsresol: 9);
        foreach (var (p, i) in frames.Select((p, i) => (p, i)))
            b.Enhanced(0, (ulong)(1_790_000_000_000_000_000L + i), p.Data, p.OriginalLength);
        b.Section(bigEndian: true).Interface(LinkTypes.Ethernet, 128, tsresol: 6).Simple(frames[0].Data, snapLength: 128).Unknown(77, 5);
        return b.ToArray();
    }

    private static BpfFormatException ReadFails(byte[] bytes) =>
        Assert.Throws<BpfFormatException>(() => PcapReader.Read(bytes, "corrupt.pcap"));

    [Fact]
    public void EmptyAndUnknownMagicAreNamed()
    {
        Assert.Contains("empty", ReadFails([]).Message);
        var e = ReadFails([0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0]);
        Assert.Contains("7F454C46", e.Message);
        Assert.Equal(0, e.Offset);
        Assert.Equal("corrupt.pcap", e.File);
    }

    [Fact]
    public void TruncatedRecordNamesItsOffset()
    {
        // The first record is 16 bytes of header at offset 24 plus its frame.
        var e = ReadFails(Sample[..(24 + 16 + 10)]);
        Assert.Equal(24 + 16, e.Offset);
        Assert.Contains("truncated packet data", e.Message);
        Assert.Contains("corrupt.pcap", e.Message);

        e = ReadFails(Sample[..(24 + 5)]);
        Assert.Equal(24, e.Offset);
        Assert.Contains("record header", e.Message);

        Assert.Equal(0, ReadFails(Sample[..10]).Offset);
    }

    [Fact]
    public void AbsurdCapturedLengthIsRefusedBeforeReading()
    {
        var bytes = (byte[])Sample.Clone();
        bytes[24 + 8 + 3] = 0x7f; // incl_len of the first record ≈ 2 GiB
        var e = ReadFails(bytes);
        Assert.Equal(24 + 8, e.Offset);
        Assert.Contains("captured bytes", e.Message);
    }

    [Fact]
    public void PcapngBlockWhoseTrailerDisagreesIsNamed()
    {
        var bytes = SamplePcapng();
        // Section header (28) + interface block (32): the first enhanced block starts at 60.
        var total = BitConverter.ToInt32(bytes, 64);
        bytes[60 + total - 4] ^= 0x40;
        var e = ReadFails(bytes);
        Assert.Equal(60 + total - 4, e.Offset);
        Assert.Contains("ends with length", e.Message);
    }

    [Fact]
    public void PcapngPacketBeforeAnyInterfaceIsNamed()
    {
        var bytes = new CaptureBuilder().Section(false).Enhanced(0, 1, [1, 2, 3, 4], 4).ToArray();
        var e = ReadFails(bytes);
        Assert.Contains("interface 0", e.Message);
        Assert.Equal(28 + 8, e.Offset);
    }

    public static TheoryData<string> Inputs => new("pcap", "pcapng");

    [Theory]
    [MemberData(nameof(Inputs))]
    public void EveryTruncationEitherReadsAPrefixOrThrowsFormatException(string kind)
    {
        var original = kind == "pcap" ? Sample[..2000] : SamplePcapng();
        for (var length = 0; length < original.Length; length++)
        {
            try
            {
                PcapReader.Read(original.AsMemory(0, length));
            }
            catch (BpfFormatException e)
            {
                Assert.InRange(e.Offset, 0, length);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void MutatedFilesOnlyEverThrowFormatException(string kind)
    {
        var original = kind == "pcap" ? Sample[..3000] : SamplePcapng();
        var random = new Random(20261122);
        var failures = 0;
        for (var round = 0; round < 3000; round++)
        {
            var bytes = (byte[])original.Clone();
            var edits = random.Next(1, 6);
            for (var i = 0; i < edits; i++)
            {
                var at = random.Next(bytes.Length);
                switch (random.Next(4))
                {
                    case 0: bytes[at] = (byte)random.Next(256); break;
                    case 1: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                    case 2: bytes[at] = random.Next(2) == 0 ? (byte)0 : (byte)0xff; break;
                    default: bytes = bytes[..at]; break;
                }
                if (bytes.Length == 0)
                    break;
            }
            try
            {
                var packets = PcapReader.Read(bytes, "fuzz");
                Assert.All(packets, p => Assert.InRange(p.Data.Length, 0, bytes.Length));
            }
            catch (BpfFormatException e)
            {
                failures++;
                Assert.InRange(e.Offset, -1, bytes.Length);
                Assert.StartsWith("fuzz: ", e.Message);
            }
        }
        Assert.InRange(failures, 100, 2990); // the mutations must exercise both outcomes
    }
}
