using System.Diagnostics;
using System.Text.RegularExpressions;
using SharpBpf.Tests.Linux.Attach;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Examples;

/// <summary>Runs examples/malloc-sizes on a program with a known mix of malloc() sizes, spawned and by --pid.</summary>
public sealed partial class MallocSizesExampleTests
{
    [SkippableFact]
    public void SpawnedCommandsSizesLandInTheirLog2Buckets()
    {
        Requirements.Kernel();
        var target = UserPrograms.Build("malloc_sizes.c");
        var (code, stdout, stderr) = ExampleRunner.Run("MallocSizes", ["--duration", "20", "--", target]);
        Assert.True(code == 0, stderr);
        Assert.Contains("malloc_sizes done", stdout); // the command ran, with the probe in place from its start
        var buckets = Buckets(stdout);
        // Exactly ours in the buckets only our sizes reach; the dynamic loader, libc and the shell add small ones.
        Assert.True(buckets.GetValueOrDefault("[64, 128)") >= 1000, stdout);
        Assert.True(buckets.GetValueOrDefault("[4K, 8K)") >= 20, stdout);
        Assert.Equal(7UL, buckets.GetValueOrDefault("[1M, 2M)"));
        var total = Total().Match(stdout);
        Assert.Equal(buckets.Values.Aggregate(0UL, (a, b) => a + b), ulong.Parse(total.Groups[1].Value));
        Assert.True(ulong.Parse(total.Groups[2].Value) >= 1000 * 100 + 20 * 5000 + 7 * (1UL << 20), stdout);
    }

    [SkippableFact]
    public void WatchesARunningProcessByPid()
    {
        Requirements.Kernel();
        // A shell loop that keeps calling malloc (every command substitution forks; each child's mallocs are another mm,
        // but the loop's own shell allocates as it parses and runs).
        using var shell = Process.Start(new ProcessStartInfo("/bin/bash", ["-c", "while :; do x=$(printf '%0200d' 1); unset x; done"]))!;
        try
        {
            var (code, stdout, stderr) = ExampleRunner.Run("MallocSizes", ["--pid", shell.Id.ToString(), "--duration", "1.5", "--interval", "0.5"]);
            Assert.True(code == 0, stderr);
            Assert.Contains($"counting malloc() calls of process {shell.Id}", stdout);
            Assert.True(Total().Matches(stdout).Count >= 3, stdout);
            Assert.True(ulong.Parse(Total().Matches(stdout)[^1].Groups[1].Value) > 0, stdout);
        }
        finally
        {
            shell.Kill();
            shell.WaitForExit();
        }
    }

    [SkippableFact]
    public void RefusesWithoutRoot() => ExampleRunner.AssertRefusesWithoutRoot("MallocSizes", "malloc-sizes", "--", "true");

    private static Dictionary<string, ulong> Buckets(string stdout) =>
        Bucket().Matches(stdout[stdout.LastIndexOf("@bytes:", StringComparison.Ordinal)..]).ToDictionary(m => m.Groups[1].Value, m => ulong.Parse(m.Groups[2].Value));

    [GeneratedRegex(@"^(\[[^\]]+\]|\[[^)]+\))\s+(\d+) \|@*\s*\|$", RegexOptions.Multiline)]
    private static partial Regex Bucket();

    [GeneratedRegex(@"^after \d+\.\ds: (\d+) calls, (\d+) bytes asked for", RegexOptions.Multiline)]
    private static partial Regex Total();
}
