using System.Text.Json;
using System.Text.RegularExpressions;
using SharpBpf.Linux;
using SharpBpf.Packets;
using SharpBpf.Tests.Packets;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Agreement;

/// <summary><c>sharpbpf prog run</c> through the real CLI: pcap input, text and JSON output, both engines.</summary>
public sealed class ProgRunCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sharpbpf-progrun-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string SamplePcap => Path.Combine(TestPrograms.RepoRoot, "examples", "xdp-blacklist", "sample.pcap");

    private string Capture(TestProgramCase c)
    {
        var path = Path.Combine(_dir, Path.GetFileNameWithoutExtension(c.File) + ".pcap");
        var t = DateTimeOffset.FromUnixTimeSeconds(1_790_000_000);
        PcapWriter.Write(path, c.Packets.Select((p, i) => new CapturedPacket(t.AddMilliseconds(i), p, p.Length, LinkTypes.Ethernet)));
        return path;
    }

    private static string Run(params string[] args)
    {
        var (code, stdout, stderr) = SharpBpfCli.Run(args);
        Assert.True(code == 0, $"sharpbpf {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout;
    }

    [Fact]
    public void TextOutputIsOneBpftoolLinePerPacket()
    {
        var obj = TestPrograms.Compile("xdp_counters.c");
        var lines = Run("prog", "run", obj, "--pcap", SamplePcap).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(PcapReader.Read(SamplePcap).Count(), lines.Length);
        Assert.All(lines, l => Assert.Matches(@"^Return value: \d+, duration: \d+ns$", l));
        var repeated = Run("prog", "run", obj, "--data-in", Packet(), "--repeat", "3");
        Assert.Matches(@"^Return value: 1, duration \(average\): \d+ns\n$", repeated);
    }

    [Fact]
    public void JsonDocumentHasRunsAndMapsInTheSpecifiedShape()
    {
        var obj = TestPrograms.Compile("percpu_stats.c");
        var doc = JsonDocument.Parse(Run("prog", "run", obj, "--pcap", SamplePcap, "--json")).RootElement;
        Assert.Equal(["runs", "maps"], doc.EnumerateObject().Select(p => p.Name));
        var first = doc.GetProperty("runs")[0];
        Assert.Equal(["retval", "data_out"], first.EnumerateObject().Select(p => p.Name));
        Assert.Matches("^([0-9a-f]{2})+$", first.GetProperty("data_out").GetString()!);
        var stats = doc.GetProperty("maps").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "stats");
        Assert.Equal("percpu_array", stats.GetProperty("type").GetString());
        var keys = stats.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("key").GetString()!).ToList();
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        Assert.All(stats.GetProperty("entries").EnumerateArray(), e => Assert.Equal(PossibleCpus.Count, e.GetProperty("values").GetArrayLength()));

        var queues = JsonDocument.Parse(Run("prog", "run", TestPrograms.Compile("queue_stack.c"), "--pcap", SamplePcap, "-j")).RootElement.GetProperty("maps");
        Assert.Equal(["fifo", "lifo"], queues.EnumerateArray().Select(m => m.GetProperty("name").GetString()));
        Assert.All(queues.EnumerateArray().SelectMany(m => m.GetProperty("entries").EnumerateArray()), e => Assert.Equal("", e.GetProperty("key").GetString()));
        var ring = JsonDocument.Parse(Run("prog", "run", TestPrograms.Compile("ringbuf_output.c"), "--pcap", SamplePcap, "-j")).RootElement.GetProperty("maps");
        Assert.DoesNotContain(ring.EnumerateArray(), m => m.GetProperty("type").GetString() == "ringbuf");
    }

    [Fact]
    public void DataOutWithPcapWritesACaptureOfTheOutputPackets()
    {
        var c = TestProgramCases.All.Single(x => x.File == "xdp_rewrite.c");
        var output = Path.Combine(_dir, "out.pcap");
        var doc = JsonDocument.Parse(Run("prog", "run", TestPrograms.Compile(c.File), "--pcap", Capture(c), "--data-out", output, "-j")).RootElement;
        var written = PcapReader.Read(output).Select(p => Convert.ToHexStringLower(p.Data)).ToList();
        Assert.Equal(doc.GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("data_out").GetString()), written);
        Assert.Contains(written, w => !c.Packets.Select(Convert.ToHexStringLower).Contains(w)); // the program rewrote something
    }

    [Fact]
    public void BadArgumentsFailWithOneLine()
    {
        var obj = TestPrograms.Compile("xdp_pass.c");
        var empty = Path.Combine(_dir, "empty.pcap");
        PcapWriter.Write(empty, []);
        var rawIp = Path.Combine(_dir, "raw.pcap");
        using (var writer = new PcapWriter(File.Create(rawIp), LinkTypes.Raw))
            writer.Write(TestFrames.Udp("10.0.0.1", "10.1.2.3", 1000, 9).AsSpan(14), DateTimeOffset.UnixEpoch);
        foreach (string[] args in new string[][]
        {
            ["prog", "run", obj, "--pcap", empty],
            ["prog", "run", obj, "--pcap", rawIp],
            ["prog", "run", obj, "--data-in", Packet(), "--pcap", SamplePcap],
            ["prog", "run", "id", "1", "--engine", "vm", "--data-in", Packet()],
            ["prog", "run", obj, "--program", "nope", "--data-in", Packet()],
            ["prog", "run", obj, "--data-in", Packet(), "--engine", "qemu"],
        })
        {
            var (code, stdout, stderr) = SharpBpfCli.Run(args);
            Assert.Equal(1, code);
            Assert.Equal("", stdout);
            Assert.StartsWith("sharpbpf: ", stderr);
            Assert.Single(stderr.TrimEnd().Split('\n'));
        }
    }

    [Fact]
    public void ARefusedPacketIsAnErrorElementAndTheOthersStillRun()
    {
        var frames = new[] { TestFrames.Udp("10.0.0.1", "10.1.2.3", 1000, 9), new byte[10] };
        var pcap = Capture(new TestProgramCase("xdp_pass.c", "xdp_pass", frames));
        var obj = TestPrograms.Compile("xdp_pass.c");
        var (code, stdout, stderr) = SharpBpfCli.Run("prog", "run", obj, "--pcap", pcap, "-j");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        var runs = JsonDocument.Parse(stdout).RootElement.GetProperty("runs");
        Assert.Equal(2u, runs[0].GetProperty("retval").GetUInt32());
        Assert.Contains("EINVAL", runs[1].GetProperty("error").GetString());
        // Text has no place for the refusal: it is named on stderr and the exit code says so.
        (code, _, stderr) = SharpBpfCli.Run("prog", "run", obj, "--pcap", pcap);
        Assert.Equal(1, code);
        Assert.StartsWith("sharpbpf: packet 2: ", stderr);
    }

    [Fact]
    public void MapsOptionChoosesTheReportedMaps()
    {
        var c = TestProgramCases.All.Single(x => x.File == "global_data.c");
        var pcap = Capture(c);
        var obj = TestPrograms.Compile(c.File);
        string[] Names(string maps) => JsonDocument.Parse(Run("prog", "run", obj, "--pcap", pcap, "-j", "--maps", maps))
            .RootElement.GetProperty("maps").EnumerateArray().Select(m => m.GetProperty("name").GetString()!).ToArray();
        var all = Names("all");
        var changed = Names("changed");
        Assert.Empty(Names("none"));
        Assert.Contains(all, n => n.EndsWith(".rodata", StringComparison.Ordinal));
        Assert.DoesNotContain(changed, n => n.EndsWith(".rodata", StringComparison.Ordinal)); // read-only: the runs cannot change it
        Assert.NotEmpty(changed);
        Assert.Equal(changed, JsonDocument.Parse(Run("prog", "run", obj, "--pcap", pcap, "-j")).RootElement.GetProperty("maps")
            .EnumerateArray().Select(m => m.GetProperty("name").GetString()!).ToArray());
        var (code, _, stderr) = SharpBpfCli.Run("prog", "run", obj, "--pcap", pcap, "-j", "--maps", "some");
        Assert.Equal(1, code);
        Assert.StartsWith("sharpbpf: ", stderr);
    }

    [Fact]
    public void AHugeArrayTheRunsLeaveAloneIsNotRead()
    {
        var obj = TestPrograms.Compile("vm_huge_array.c");
        var doc = JsonDocument.Parse(Run("prog", "run", obj, "--data-in", Packet(), "-j")).RootElement;
        Assert.Equal(2u, doc.GetProperty("runs")[0].GetProperty("retval").GetUInt32());
        var map = Assert.Single(doc.GetProperty("maps").EnumerateArray());
        Assert.Equal("hits", map.GetProperty("name").GetString());
        Assert.Equal("01000000", Assert.Single(map.GetProperty("entries").EnumerateArray()).GetProperty("key").GetString());
    }

    [SkippableTheory]
    [InlineData("xdp_counters.c")]
    [InlineData("percpu_stats.c")]
    [InlineData("queue_stack.c")]
    [InlineData("socket_filter.c")]
    public void BothEnginesPrintTheSameDocument(string file)
    {
        Requirements.Kernel();
        var c = TestProgramCases.All.Single(x => x.File == file);
        var pcap = Capture(c);
        var obj = TestPrograms.Compile(file);
        var kernel = Run("prog", "run", obj, "--program", c.Program, "--pcap", pcap, "--engine", "kernel", "--json");
        var vm = Run("prog", "run", obj, "--program", c.Program, "--pcap", pcap, "--json");
        Assert.Equal(kernel, vm);
        var kernelText = Regex.Replace(Run("prog", "run", obj, "--pcap", pcap, "--engine", "kernel"), @"\d+ns", "Nns");
        var vmText = Regex.Replace(Run("prog", "run", obj, "--pcap", pcap, "--engine", "vm"), @"\d+ns", "Nns");
        Assert.Equal(kernelText, vmText);
    }

    private string Packet()
    {
        var path = Path.Combine(_dir, "packet.bin");
        File.WriteAllBytes(path, TestFrames.Udp("10.0.0.1", "10.1.2.3", 1000, 9));
        return path;
    }
}
