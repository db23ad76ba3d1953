using System.Diagnostics;
using System.Text.RegularExpressions;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Examples;

/// <summary>Runs examples/syscall-counts against a `dd` copying one byte per read/write and checks its table.</summary>
public sealed partial class SyscallCountsExampleTests
{
    [SkippableFact]
    public void CountsTheReadsAndWritesOfOneProcess()
    {
        Requirements.Kernel();
        using var dd = Process.Start(new ProcessStartInfo("dd", ["if=/dev/zero", "of=/dev/null", "bs=1"]) { RedirectStandardError = true })!;
        try
        {
            var (code, stdout, stderr) = ExampleRunner.Run("SyscallCounts", ["--duration", "1.5", "--interval", "0.5", "--pid", dd.Id.ToString()]);
            Assert.True(code == 0, stderr);
            Assert.Contains($"new process {dd.Id} (dd)", stdout); // from the ring buffer
            var tables = stdout.Split("\nafter ").Skip(1).ToList();
            Assert.True(tables.Count >= 2, stdout);
            var last = Rows(tables[^1]);
            Assert.All(last, r => Assert.Equal((dd.Id, "dd"), (r.Pid, r.Comm))); // --pid: nobody else
            var read = last.Single(r => r.Syscall == "read").Calls;
            var write = last.Single(r => r.Syscall == "write").Calls;
            // dd bs=1: one write per read. The two counters are read one after the other while dd keeps going
            // (millions of calls a second), so they may differ by what dd did in between.
            Assert.True(read > 1000 && Math.Abs(read - write) <= Math.Max(2, read / 1000), stdout);
            Assert.True(read > Rows(tables[0]).Single(r => r.Syscall == "read").Calls, "the counts grow from table to table");
            Assert.Matches(@"^\d+\.\ds: \d+ calls, 1 processes", tables[^1]);
        }
        finally
        {
            dd.Kill();
            dd.WaitForExit();
        }
    }

    [SkippableFact]
    public void RefusesWithoutRoot() => ExampleRunner.AssertRefusesWithoutRoot("SyscallCounts", "syscall-counts");

    private static List<(string Syscall, int Pid, string Comm, long Calls)> Rows(string table) =>
        [.. Row().Matches(table).Select(m => (m.Groups[3].Value, int.Parse(m.Groups[4].Value), m.Groups[5].Value, long.Parse(m.Groups[2].Value)))];

    [GeneratedRegex(@"^\s+(\d+\.\d\d)\s+(\d+)\s+(\S+)\s+(\d+)\s+(\S+)$", RegexOptions.Multiline)]
    private static partial Regex Row();
}
