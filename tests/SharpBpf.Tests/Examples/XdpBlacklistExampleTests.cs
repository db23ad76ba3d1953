using System.Buffers.Binary;
using System.Net;
using System.Text.RegularExpressions;
using SharpBpf.Packets;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Examples;

/// <summary>
/// Runs the xdp-blacklist example host (the XdpBlacklist.dll built next to the tests) as a process and checks what it
/// prints: against the kernel's own answer for the same object, blacklist and packets (KernelOracle, via bpftool), and
/// without root against the example's own per-CPU counters.
/// </summary>
public sealed partial class XdpBlacklistExampleTests
{
    private static string ExampleDir => Path.Combine(TestPrograms.RepoRoot, "examples", "xdp-blacklist");
    private static string Dll => Path.Combine(AppContext.BaseDirectory, "XdpBlacklist.dll");

    /// <summary>What the example printed: verdict name → count (from returns and from the map), source → drops.</summary>
    private sealed record Printed(int Packets, Dictionary<string, long> Verdicts, Dictionary<string, long> VerdictMap, Dictionary<IPAddress, ulong> Drops);

    private static Printed RunExample(string engine)
    {
        var obj = TestPrograms.Compile(Path.Combine(ExampleDir, "xdp_blacklist.bpf.c"));
        var (code, stdout, stderr) = TestPrograms.Run("dotnet", [Dll, obj, Path.Combine(ExampleDir, "blacklist.txt"), Path.Combine(ExampleDir, "sample.pcap"), "--engine", engine]);
        Assert.True(code == 0, $"XdpBlacklist exited {code}: {stderr}");
        var sections = new Dictionary<string, List<(string Name, string Count)>>();
        List<(string, string)>? current = null;
        foreach (var line in stdout.Split('\n'))
        {
            if (Entry().Match(line) is { Success: true } e && current is not null)
                current.Add((e.Groups[1].Value, e.Groups[2].Value));
            else if (line.EndsWith(':'))
                sections[Section().Match(line).Groups[1].Value] = current = []; // "verdicts map (per-CPU ...):" → "verdicts map"
        }
        var packets = int.Parse(Header().Match(stdout).Groups[1].Value);
        return new Printed(packets,
            sections["verdicts"].ToDictionary(x => x.Name, x => long.Parse(x.Count)),
            sections["verdicts map"].ToDictionary(x => x.Name, x => long.Parse(x.Count)),
            sections["blacklist"].ToDictionary(x => IPAddress.Parse(x.Name), x => ulong.Parse(x.Count)));
    }

    [Fact]
    public void VmRunPrintsConsistentCounts()
    {
        var printed = RunExample("vm");
        Assert.Equal(PcapReader.Read(Path.Combine(ExampleDir, "sample.pcap")).Count(), printed.Packets);
        Assert.Equal(printed.Packets, printed.Verdicts.Values.Sum());
        Assert.Equal(printed.Verdicts.OrderBy(x => x.Key), printed.VerdictMap.OrderBy(x => x.Key)); // the program's own counters agree
        Assert.True(printed.Verdicts["XDP_DROP"] > 0 && printed.Verdicts["XDP_PASS"] > 0);
        Assert.Equal(Listed().Order(), printed.Drops.Keys.Select(a => a.ToString()).Order());
        Assert.True(printed.Drops.Values.Aggregate(0UL, (a, b) => a + b) <= (ulong)printed.Verdicts["XDP_DROP"]);
    }

    [SkippableTheory]
    [InlineData("vm")]
    [InlineData("kernel")]
    public void PrintedCountsMatchTheKernelOracle(string engine)
    {
        Requirements.Kernel();
        var listed = Listed().Select(IPAddress.Parse).ToList();
        var packets = PcapReader.Read(Path.Combine(ExampleDir, "sample.pcap")).Select(p => p.Data).ToList();
        var oracle = KernelOracle.Run(TestPrograms.Compile(Path.Combine(ExampleDir, "xdp_blacklist.bpf.c")), "xdp_blacklist", packets,
            listed.Select(a => new MapSeed("blacklist", a.GetAddressBytes(), new byte[8])));

        var printed = RunExample(engine);

        var expectedVerdicts = oracle.Runs.GroupBy(r => r.ReturnValue).ToDictionary(g => Name(g.Key), g => (long)g.Count());
        Assert.Equal(expectedVerdicts.OrderBy(x => x.Key), printed.Verdicts.OrderBy(x => x.Key));
        var expectedDrops = oracle.Map("blacklist").Entries.ToDictionary(e => new IPAddress(e.Key), e => BinaryPrimitives.ReadUInt64LittleEndian(e.Value));
        Assert.Equal(expectedDrops.OrderBy(x => x.Key.ToString()), printed.Drops.OrderBy(x => x.Key.ToString()));
    }

    private static IEnumerable<string> Listed() =>
        File.ReadLines(Path.Combine(ExampleDir, "blacklist.txt")).Select(l => l.Split('#')[0].Trim()).Where(l => l.Length > 0);

    private static string Name(long verdict) => verdict switch
    {
        0 => "XDP_ABORTED", 1 => "XDP_DROP", 2 => "XDP_PASS", 3 => "XDP_TX", 4 => "XDP_REDIRECT", _ => $"verdict {verdict}",
    };

    [GeneratedRegex(@"^  (\S+)\s+(\d+)$")]
    private static partial Regex Entry();

    [GeneratedRegex(@"^([a-z ]+?)\s*[(:]")]
    private static partial Regex Section();

    [GeneratedRegex(@": (\d+) packets from ")]
    private static partial Regex Header();
}
