using System.Diagnostics;
using System.Text.Json;
using SharpBpf.Linux;
using SharpBpf.Linux.Attach;
using SharpBpf.Linux.Top;
using SharpBpf.Tests.Linux.Attach;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Cli;

/// <summary>`sharpbpf top`: the cost arithmetic, and the reported rate of a tracepoint program driven at a known rate.</summary>
public class TopCliTests
{
    private static ProgramCounters P(uint id, ulong runs, ulong ns) => new(id, BpfProgramType.Tracepoint, $"p{id}", runs, ns);

    [Fact]
    public void CostsAreDeltasOverTheIntervalSortedByCpuShare()
    {
        var tracker = new ProgramCostTracker(historyLength: 3);
        var first = tracker.Update([P(1, 100, 1_000), P(2, 5, 50)], 0);
        Assert.All(first, c => Assert.Equal((0.0, 0.0, 0.0), (c.RunsPerSecond, c.AverageRunNs, c.CpuPercent)));

        // Over 2 s: program 1 ran 1000 times for 2 ms (0.1% CPU), program 2 ran 10 times for 20 ms (1%); 3 appeared.
        var costs = tracker.Update([P(1, 1_100, 2_001_000), P(2, 15, 20_000_050), P(3, 7, 70)], 2);
        Assert.Equal([2u, 1u, 3u], costs.Select(c => c.Id));
        Assert.Equal((5.0, 2_000_000.0, 1.0), (costs[0].RunsPerSecond, costs[0].AverageRunNs, costs[0].CpuPercent));
        Assert.Equal((500.0, 2_000.0), (costs[1].RunsPerSecond, costs[1].AverageRunNs));
        Assert.Equal(0.1, costs[1].CpuPercent, 9);
        Assert.Equal(0.0, costs[2].RunsPerSecond);  // no baseline yet
        Assert.Empty(costs[2].History);

        // Program 1 went away; the history keeps the last three rates.
        tracker.Update([P(2, 15, 20_000_050), P(3, 17, 70)], 1);
        costs = tracker.Update([P(2, 16, 20_000_060), P(3, 27, 80)], 1);
        Assert.DoesNotContain(costs, c => c.Id == 1);
        Assert.Equal([5.0, 0.0, 1.0], costs.Single(c => c.Id == 2).History);
        Assert.Equal([10.0, 10.0], costs.Single(c => c.Id == 3).History);
        // Counters reset by someone switching statistics off and on: no negative rates.
        Assert.All(tracker.Update([P(2, 0, 0)], 1), c => Assert.Equal(0.0, c.RunsPerSecond));
    }

    [SkippableFact]
    public void JsonStreamReportsTheDrivenRate()
    {
        Requirements.Kernel();
        const double rate = 4000;
        using var obj = new LoadedObject("hook_tracepoint_getpid.c");
        var id = obj.Program("count_getpid").Info().Id;
        using var link = Tracepoint.Attach(obj.Program("count_getpid").Fd, "syscalls", "sys_enter_getpid");
        using var stop = new CancellationTokenSource();
        var driver = new Thread(() => Drive(rate, stop.Token)) { IsBackground = true };
        driver.Start();
        string stdout;
        try
        {
            var run = SharpBpfCli.Run("top", "--json", "--interval", "1", "--count", "6");
            Assert.True(run.ExitCode == 0, run.Stderr);
            stdout = run.Stdout;
        }
        finally
        {
            stop.Cancel();
            driver.Join();
        }
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        var rates = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("programs").EnumerateArray()
            .Single(p => p.GetProperty("id").GetUInt32() == id)).ToList();
        Assert.All(rates, p => Assert.Equal(("tracepoint", "count_getpid"), (p.GetProperty("type").GetString(), p.GetProperty("name").GetString())));
        // The first interval may start before the driver reaches its pace: judge the median of the rest.
        var measured = rates.Skip(1).Select(p => p.GetProperty("runs_per_sec").GetDouble()).Order().ToList()[2];
        Assert.InRange(measured, rate * 0.97, rate * 1.05);  // other tenants' getpid calls can only add runs
        Assert.All(rates.Skip(1), p => Assert.True(p.GetProperty("avg_run_ns").GetDouble() > 0));
        // Statistics were on only while top ran (unless another tenant holds them on too).
        Assert.True(obj.Program("count_getpid").Info().RunCount > 0);
    }

    /// <summary>
    /// Hundreds of programs, half of them unloaded and new ones loaded while top samples: every line still lists every
    /// program that stayed, the unloaded ones drop out, the new ones appear, and top neither fails nor repeats an id.
    /// </summary>
    [SkippableFact]
    public void JsonStreamHoldsWithHundredsOfProgramsComingAndGoing()
    {
        Requirements.Kernel();
        var instructions = new SharpBpf.Isa.Assembly.ProgramBuilder().Mov64(SharpBpf.Isa.Register.R0, 0).Exit().Build();
        KernelProgram Load(string name) => KernelProgram.Load(new ProgramLoadOptions { Type = BpfProgramType.SocketFilter, Instructions = instructions, Name = name });
        var first = Enumerable.Range(0, 300).Select(i => Load($"i16top{i}")).ToList();
        var names = first.ToDictionary(p => p.Id, p => p.Name);
        var gone = first.Take(150).Select(p => p.Id).ToHashSet();
        var kept = first.Skip(150).Select(p => p.Id).ToList();
        var added = new List<KernelProgram>();
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { SharpBpfCli.DllPath, "top", "--json", "--interval", "0.3", "--count", "10" })
                start.ArgumentList.Add(arg);
            var lines = new List<string>();
            using var twoLines = new ManualResetEventSlim();
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                    return;
                lock (lines)
                {
                    lines.Add(e.Data);
                    if (lines.Count == 2)
                        twoLines.Set();
                }
            };
            process.BeginOutputReadLine();
            Assert.True(twoLines.Wait(60_000), "top printed fewer than two lines in a minute");
            int churnedAt;
            lock (lines)
                churnedAt = lines.Count;
            foreach (var p in first.Take(150))
                p.Dispose();
            for (var i = 0; i < 50; i++)
                added.Add(Load($"i16topnew{i}"));
            Assert.True(process.WaitForExit(120_000), "top did not finish");
            process.WaitForExit();  // the output events are drained
            Assert.Equal((0, ""), (process.ExitCode, stderr.Result));
            Assert.Equal(10, lines.Count);

            var shown = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("programs").EnumerateArray()
                .ToDictionary(p => p.GetProperty("id").GetUInt32(), p => p.GetProperty("name").GetString())).ToList();  // a repeated id throws
            Assert.All(shown, ids => Assert.All(kept, id => Assert.Equal(names[id], ids[id])));
            Assert.All(shown.Take(churnedAt), ids => Assert.Subset(ids.Keys.ToHashSet(), gone));
            var last = shown[^1];
            Assert.Empty(gone.Intersect(last.Keys));
            Assert.All(added, p => Assert.Equal(p.Name, last[p.Id]));
        }
        finally
        {
            first.ForEach(p => p.Dispose());
            added.ForEach(p => p.Dispose());
        }
    }

    /// <summary>Calls getpid() <paramref name="perSecond"/> times a second, paced against a stopwatch, until stopped.</summary>
    private static void Drive(double perSecond, CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        long done = 0;
        while (!stop.IsCancellationRequested)
        {
            var due = (long)(clock.Elapsed.TotalSeconds * perSecond);
            for (; done < due; done++)
                TracingHookTests.getpid();
            Thread.Sleep(1);
        }
    }
}
