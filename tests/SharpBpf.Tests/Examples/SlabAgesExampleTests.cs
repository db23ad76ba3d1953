using System.Globalization;
using System.Text.RegularExpressions;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Examples;

/// <summary>Runs examples/slab-ages for a few seconds and checks its reports of long-lived slab objects.</summary>
public sealed partial class SlabAgesExampleTests
{
    [SkippableFact]
    public void ReportsObjectsOlderThanASecondWithTheirCallSites()
    {
        Requirements.Kernel();
        var (code, stdout, stderr) = ExampleRunner.Run("SlabAges", ["--duration", "2.6", "--interval", "1.2", "--top", "5"]);
        Assert.True(code == 0, stderr);
        Assert.Contains(Directory.Exists("/sys/bus/event_source/devices/kprobe") ? "kprobe" : "tracepoint kmem/kmem_cache_alloc and tracepoint kmem/kmem_cache_free", stdout);
        var reports = Report().Matches(stdout);
        Assert.True(reports.Count >= 2, stdout);
        foreach (Match report in reports)
            Assert.True(int.Parse(report.Groups[2].Value) <= int.Parse(report.Groups[3].Value), stdout);
        // Something always lives for more than a second on a running system (dentries, inodes, VMAs...).
        var last = reports[^1];
        Assert.True(int.Parse(last.Groups[2].Value) > 0, stdout);
        var elapsed = double.Parse(last.Groups[1].Value, CultureInfo.InvariantCulture);
        var sites = Site().Matches(stdout[last.Index..]).ToList();
        Assert.NotEmpty(sites);
        Assert.All(sites, s => Assert.InRange(double.Parse(s.Groups[2].Value, CultureInfo.InvariantCulture), 1.0, elapsed + 0.3));
        Assert.Equal(Math.Min(5, int.Parse(last.Groups[2].Value)), OldObject().Matches(stdout[last.Index..]).Count); // the 5 oldest
        Assert.True(sites.Sum(s => int.Parse(s.Groups[1].Value)) <= int.Parse(last.Groups[2].Value), stdout); // top sites ⊆ old objects
    }

    [SkippableFact]
    public void RefusesWithoutRoot() => ExampleRunner.AssertRefusesWithoutRoot("SlabAges", "slab-ages");

    [GeneratedRegex(@"^after (\d+\.\d)s: (\d+) of (\d+) tracked slab objects alive for more than 1s", RegexOptions.Multiline)]
    private static partial Regex Report();

    [GeneratedRegex(@"^\s+(\d+)\s+(\d+\.\d)s  [A-Za-z_.$][\w.$]*\+0x[0-9a-f]+$", RegexOptions.Multiline)]
    private static partial Regex Site();

    [GeneratedRegex(@"^  obj 0xffff[0-9a-f]{12} is\s+\d+s old, allocated at [A-Za-z_.$][\w.$]*\+0x[0-9a-f]+$", RegexOptions.Multiline)]
    private static partial Regex OldObject();
}
