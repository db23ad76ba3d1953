using System.Diagnostics;
using SharpBpf.Cbpf;
using SharpBpf.Packets;
using SharpBpf.PcapFilter;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.PcapFilter;

/// <summary>
/// Every valid Ethernet corpus expression, run over a capture holding every protocol the grammar names, keeps
/// exactly the packets <c>tcpdump -r</c> keeps, optimised and unoptimised.
/// </summary>
public sealed class PcapFilterCaptureTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sharpbpf-i15-").FullName;
    private static readonly List<CapturedPacket> Packets = ProtocolMixCapture.Build(2000);

    public void Dispose() => Directory.Delete(_dir, true);

    private string WriteCapture()
    {
        var path = Path.Combine(_dir, "mix.pcap");
        PcapWriter.Write(path, Packets);
        return path;
    }

    /// <summary>Indices of the packets tcpdump -r keeps (timestamps are unique per packet).</summary>
    private static List<int> TcpdumpMatches(string capture, string expression, string output, bool optimize = true)
    {
        var info = new ProcessStartInfo(Requirements.Tool("tcpdump")) { RedirectStandardError = true, RedirectStandardOutput = true };
        if (!optimize)
            info.ArgumentList.Add("-O");
        foreach (var arg in new[] { "-r", capture, "-w", output, "--", expression })
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"tcpdump -r '{expression}': {stderr}");
        var start = Packets[0].Timestamp;
        return [.. PcapReader.Read(output).Select(p => (int)(p.Timestamp - start).TotalMilliseconds)];
    }

    private static List<int> OurMatches(CbpfInstruction[] program)
    {
        var filter = new CbpfFilter(program);
        return [.. Enumerable.Range(0, Packets.Count).Where(i => filter.Matches(Packets[i].Data, (uint)Packets[i].OriginalLength))];
    }

    /// <summary>
    /// Unoptimised (-O) and optimised programs may disagree on truncated frames, where libpcap's optimiser drops or
    /// moves loads: each is compared with tcpdump compiling the same way (the unoptimised ones on a quarter of the corpus).
    /// </summary>
    [SkippableFact]
    public void Every_valid_expression_keeps_the_packets_tcpdump_keeps()
    {
        Requirements.Tool("tcpdump");
        var capture = WriteCapture();
        var valid = FilterCorpus.Entries
            .Where(e => e.LinkTypeName is null && !FilterCorpus.Ours(e, "-d").StartsWith("error: ", StringComparison.Ordinal))
            .Select((e, i) => (Entry: e, Index: i)).ToList();
        var nonEmpty = 0;
        var failures = FilterCorpus.Mismatches(valid.Select(v => v.Entry), entry =>
        {
            var expected = TcpdumpMatches(capture, entry.Expression, Path.Combine(_dir, $"{Guid.NewGuid():N}.pcap"));
            if (expected.Count > 0)
                Interlocked.Increment(ref nonEmpty);
            foreach (var optimize in entry.Expression.Length % 4 == 0 ? new[] { true, false } : [true])
            {
                if (!optimize)
                    expected = TcpdumpMatches(capture, entry.Expression, Path.Combine(_dir, $"{Guid.NewGuid():N}.pcap"), optimize: false);
                var actual = OurMatches(PcapFilterCompiler.Compile(entry.Expression, optimize: optimize));
                if (!expected.SequenceEqual(actual))
                    return $"'{entry.Expression}' (optimize={optimize}): tcpdump keeps {expected.Count}, sharpbpf {actual.Count}; first difference at packet {expected.Except(actual).Concat(actual.Except(expected)).Min()}";
            }
            return null;
        });
        Assert.True(failures.Count == 0, $"{failures.Count} of {valid.Count} differ:\n" + string.Join("\n", failures.Take(10)));
        Assert.True(nonEmpty > valid.Count / 2, $"only {nonEmpty} of {valid.Count} expressions match any packet: the capture lacks variety");
    }

    [SkippableFact]
    public void Cli_count_and_written_packets_equal_tcpdump()
    {
        Requirements.Tool("tcpdump");
        var capture = WriteCapture();
        foreach (var expression in new[] { "tcp port 80", "vlan and udp", "ip6 and not icmp6", "arp or rarp", "mpls and ip" })
        {
            var expected = TcpdumpMatches(capture, expression, Path.Combine(_dir, "expected.pcap"));
            var (code, stdout, stderr) = SharpBpfCli.Run("filter", expression, "-r", capture, "--count");
            Assert.True(code == 0, stderr);
            Assert.Equal(expected.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), stdout.Trim());

            var written = Path.Combine(_dir, "ours.pcap");
            (code, _, stderr) = SharpBpfCli.Run("filter", "-r", capture, "-w", written, expression);
            Assert.True(code == 0, stderr);
            var ours = PcapReader.Read(written).ToList();
            var theirs = PcapReader.Read(Path.Combine(_dir, "expected.pcap")).ToList();
            Assert.Equal(theirs.Select(p => Convert.ToHexString(p.Data)), ours.Select(p => Convert.ToHexString(p.Data)));
        }
    }

    [Fact]
    public void Bad_expression_is_one_line_and_exit_code_2()
    {
        var (code, stdout, stderr) = SharpBpfCli.Run("filter", "-d", "port 70000");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal("sharpbpf: illegal port number 70000 > 65535", stderr.Trim());
        (code, _, stderr) = SharpBpfCli.Run("filter", "-d", "ip and");
        Assert.Equal(2, code);
        Assert.Equal("sharpbpf: can't parse filter expression: syntax error", stderr.Trim());
    }
}
