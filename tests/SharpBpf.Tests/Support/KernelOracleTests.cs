using System.Buffers.Binary;
using System.Net;
using SharpBpf.Packets;
using SharpBpf.Tests.Packets;

namespace SharpBpf.Tests.Support;

public class KernelOracleTests
{
    private static void Require()
    {
        Requirements.Kernel();
        Requirements.Tool("bpftool");
    }

    private static ulong U64(byte[] bytes, int offset = 0) => BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset));

    [SkippableFact]
    public void HashMapCountersAndVerdicts()
    {
        Require();
        var dropped = TestFrames.Udp("10.0.0.1", "10.0.0.2", 1000, 9);
        var passed = TestFrames.Udp("10.0.0.1", "10.0.0.2", 1000, 53, payloadLength: 30);
        var tcp = TestFrames.Tcp("10.0.0.3", "10.0.0.2", 1000, 80);
        var result = KernelOracle.Run(TestPrograms.Compile("xdp_counters.c"), "xdp_counters", [dropped, passed, TestFrames.Arp(), tcp]);

        Assert.Equal([1L, 2, 2, 2], result.Runs.Select(r => r.ReturnValue));
        Assert.Equal(passed, result.Runs[1].DataOut);
        var bySource = result.Map("by_source");
        Assert.Equal("hash", bySource.Type);
        var entries = bySource.ByKey().ToList();
        Assert.Equal(2, entries.Count);
        Assert.Equal(IPAddress.Parse("10.0.0.1").GetAddressBytes(), entries[0].Key);
        Assert.Equal(2UL, U64(entries[0].Value!));
        Assert.Equal((ulong)(dropped.Length + passed.Length), U64(entries[0].Value!, 8));
        var byProtocol = result.Map("by_protocol").ByKey().ToDictionary(e => e.Key.Single(), e => U64(e.Value!));
        Assert.Equal(new Dictionary<byte, ulong> { [6] = 1, [17] = 2 }, byProtocol);
    }

    [SkippableFact]
    public void RewrittenPacketsComeBackAsDataOut()
    {
        Require();
        var tagged = TestFrames.Udp("10.0.0.1", "10.1.2.9", 1, 2, vlan: 7, ttl: 9);
        var result = KernelOracle.Run(TestPrograms.Compile("xdp_rewrite.c"), "xdp_rewrite", [tagged]);

        Assert.Equal(3L, result.Runs[0].ReturnValue); // XDP_TX
        var output = result.Runs[0].DataOut;
        Assert.Equal(tagged.Length - 4, output.Length);
        Assert.Equal(TestFrames.MacA, output[..6]);
        Assert.Equal(TestFrames.MacB, output[6..12]);
        Assert.Equal(8, output[14 + 8]); // TTL decremented
        Assert.Equal(0, TestFrames.HeaderChecksum(output.AsSpan(14, 20)));
        var globals = result.Map("xdp_rewr.bss").Entries.Single().Value!;
        Assert.Equal(1UL, U64(globals)); // vlan_popped
    }

    [SkippableFact]
    public void TcRewriteKeepsIpAndUdpChecksumsValid()
    {
        Require();
        var frame = TestFrames.Udp("10.0.0.1", "10.1.2.9", 1000, 53, payloadLength: 33, checksum: true);
        Assert.Equal(0, TestFrames.UdpChecksum(frame.AsSpan(14)));
        var result = KernelOracle.Run(TestPrograms.Compile("tc_rewrite.c"), "tc_rewrite", [frame]);

        Assert.Equal(0L, result.Runs[0].ReturnValue); // TC_ACT_OK
        var output = result.Runs[0].DataOut;
        Assert.Equal(IPAddress.Parse("10.9.9.9").GetAddressBytes(), output[30..34]);
        Assert.Equal(0, TestFrames.HeaderChecksum(output.AsSpan(14, 20)));
        Assert.Equal(0, TestFrames.UdpChecksum(output.AsSpan(14)));
    }

    [SkippableFact]
    public void QueueAndStackArePoppedInTheKernelsOrderAndPerCpuValuesComePerCpu()
    {
        Require();
        byte[][] packets = [new byte[20], new byte[30], new byte[40], [0xff, .. new byte[15]], new byte[50]];
        var result = KernelOracle.Run(TestPrograms.Compile("queue_stack.c"), "queue_stack", packets);

        Assert.Equal([2L, 2, 2, (20 - 40 & 0xff) + 4, 2], result.Runs.Select(r => r.ReturnValue));
        Assert.Equal([30u, 40, 50], result.Map("fifo").Entries.Select(e => BinaryPrimitives.ReadUInt32LittleEndian(e.Value)));
        Assert.Equal([50u, 30, 20], result.Map("lifo").Entries.Select(e => BinaryPrimitives.ReadUInt32LittleEndian(e.Value)));

        var stats = KernelOracle.Run(TestPrograms.Compile("percpu_stats.c"), "percpu_stats", [TestFrames.Arp(), TestFrames.Icmp("1.2.3.4", "5.6.7.8")]);
        var slots = stats.Map("stats").ByKey().ToList();
        Assert.Equal(3, slots.Count);
        Assert.All(slots, s => Assert.Equal(Environment.ProcessorCount, s.PerCpuValues!.Count));
        Assert.Equal(2UL, (ulong)slots[0].PerCpuValues!.Sum(v => (long)U64(v)));
        Assert.Equal(1UL, (ulong)slots[1].PerCpuValues!.Sum(v => (long)U64(v)));
    }

    [SkippableFact]
    public void SeededBlacklistDropsTheListedSourcesOfTheSampleCapture()
    {
        Require();
        var example = Path.Combine(TestPrograms.RepoRoot, "examples", "xdp-blacklist");
        var listed = File.ReadLines(Path.Combine(example, "blacklist.txt"))
            .Select(l => l.Split('#')[0].Trim()).Where(l => l.Length > 0).Select(IPAddress.Parse).ToList();
        var seeds = listed.Select(a => new MapSeed("blacklist", a.GetAddressBytes(), new byte[8]));
        var packets = PcapReader.Read(Path.Combine(example, "sample.pcap")).Select(p => p.Data).ToList();
        var obj = TestPrograms.Compile(Path.Combine(example, "xdp_blacklist.bpf.c"));

        var result = KernelOracle.Run(obj, "xdp_blacklist", packets, seeds);

        // Expected verdicts from an independent reading of each frame.
        var expected = packets.Select(p => ExpectedVerdict(p, listed)).ToList();
        Assert.Equal(expected, result.Runs.Select(r => r.ReturnValue));
        Assert.Contains(1L, expected);
        var drops = result.Map("blacklist").Entries.ToDictionary(e => new IPAddress(e.Key), e => U64(e.Value!));
        Assert.Equal(listed.Count, drops.Count);
        var droppedListed = packets.Where(p => ExpectedVerdict(p, listed) == 1 && p.Length >= 34).Count();
        Assert.Equal((ulong)droppedListed, drops.Values.Aggregate(0UL, (a, b) => a + b));
        var verdicts = result.Map("verdicts").ByKey().Select(e => e.PerCpuValues!.Aggregate(0UL, (a, v) => a + U64(v))).ToList();
        Assert.Equal((ulong)expected.Count(v => v == 1), verdicts[1]);
        Assert.Equal((ulong)expected.Count(v => v == 2), verdicts[2]);
    }

    private static long ExpectedVerdict(byte[] frame, List<IPAddress> listed)
    {
        var offset = 12;
        var type = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(offset));
        if (type is 0x8100 or 0x88a8)
        {
            offset += 4;
            type = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(offset));
        }
        if (type != 0x0800)
            return 2;
        if (frame.Length < offset + 2 + 20)
            return 1;
        return listed.Contains(new IPAddress(frame.AsSpan(offset + 2 + 12, 4))) ? 1 : 2;
    }
}

public partial class TestProgramsInTheKernelTests
{
    /// <summary>Sections BPF_PROG_TEST_RUN can run with a packet: such programs need a case unless marked parse-only.</summary>
    [System.Text.RegularExpressions.GeneratedRegex("SEC\\(\"(xdp|tc|socket|classifier)")]
    private static partial System.Text.RegularExpressions.Regex RunnableSection();

    public static TheoryData<string> Cases => new(TestProgramCases.All.Select(c => c.ToString()));

    [Fact]
    public void EveryTestProgramHasACase()
    {
        var runnable = TestPrograms.All().Where(f => !TestPrograms.HasMarker(f, "parse-only") && RunnableSection().IsMatch(File.ReadAllText(Path.Combine(TestPrograms.SourceDir, f))));
        Assert.Subset(TestPrograms.All().ToHashSet(), TestProgramCases.All.Select(c => c.File).ToHashSet());
        Assert.Subset(TestProgramCases.All.Select(c => c.File).ToHashSet(), runnable.ToHashSet());
    }

    /// <summary>Loads, runs and dumps each program twice: the kernel's answers must be repeatable to serve as an oracle.</summary>
    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void LoadsRunsAndGivesTheSameAnswersTwice(string file)
    {
        Requirements.Kernel();
        Requirements.Tool("bpftool");
        var c = TestProgramCases.All.Single(x => x.ToString() == file);
        var obj = TestPrograms.Compile(c.File);
        var first = KernelOracle.Run(obj, c.Program, c.Packets);
        var second = KernelOracle.Run(obj, c.Program, c.Packets);

        Assert.Equal(c.Packets.Count, first.Runs.Count);
        Assert.Equal(first.Runs.Select(r => (r.ReturnValue, Convert.ToHexString(r.DataOut))), second.Runs.Select(r => (r.ReturnValue, Convert.ToHexString(r.DataOut))));
        Assert.Equal(Describe(first), Describe(second));
    }

    // Per-CPU values are summed (the test run's CPU is the scheduler's choice); program-array and map-of-maps
    // values are object ids, which differ between loads.
    private static IEnumerable<string> Describe(OracleResult result) =>
        result.Maps.Where(m => m.Type is not ("prog_array" or "array_of_maps" or "hash_of_maps")).Select(m => $"{m.Name}: " + string.Join(" ", m.ByKey().Select(e =>
            Convert.ToHexString(e.Key) + "=" + (e.Value is { } v ? Convert.ToHexString(v) : SumPerCpu(e.PerCpuValues!)))));

    private static string SumPerCpu(IReadOnlyList<byte[]> values)
    {
        var sum = new ulong[values[0].Length / 8];
        foreach (var v in values)
            for (var i = 0; i < sum.Length; i++)
                sum[i] += BitConverter.ToUInt64(v, i * 8);
        return string.Join(",", sum);
    }
}
