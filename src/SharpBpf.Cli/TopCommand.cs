using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SharpBpf.Linux.Top;
using Spectre.Console;

namespace SharpBpf.Cli;

/// <summary>
/// <c>sharpbpf top [--json] [--interval S] [--count N] [--id ID]</c>: what every loaded program costs, live (bpftop's view):
/// runs/s, ns per run, % of one CPU, a sparkline of runs/s; <c>--json</c> prints one line per interval instead.
/// </summary>
internal static class TopCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "print one JSON line per interval instead of the live table" };
        var interval = new Option<double>("--interval", "-i") { Description = "seconds between refreshes", DefaultValueFactory = _ => 1.0 };
        var count = new Option<int>("--count", "-n") { Description = "stop after this many refreshes (default: until Ctrl+C or q)" };
        var id = new Option<uint?>("--id") { Description = "show one program in detail (its maps, instruction counts)" };
        var top = new Command("top", "Show what every loaded BPF program costs, live (enables BPF statistics while it runs).")
        {
            json, interval, count, id,
        };
        top.SetAction(parse =>
        {
            var seconds = parse.GetValue(interval);
            if (seconds is < 0.05 or > 3600)
                throw new ArgumentException($"--interval {seconds}: give between 0.05 and 3600 seconds");
            using var stop = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                stop.Cancel();
            };
            using var sampler = new ProgramCostSampler();
            sampler.Sample();  // the baseline
            var loop = new Loop(sampler, TimeSpan.FromSeconds(seconds), parse.GetValue(count), stop.Token);
            if (parse.GetValue(json))
                loop.Run(costs => WriteJsonLine(costs, seconds));
            else
                RunLive(loop, parse.GetValue(id));
            return 0;
        });
        return top;
    }

    /// <summary>Sleeps an interval, samples, hands the costs on; stops after <c>count</c> rounds or on cancellation.</summary>
    private sealed record Loop(ProgramCostSampler Sampler, TimeSpan Interval, int Count, CancellationToken Stop)
    {
        public void Run(Action<IReadOnlyList<ProgramCost>> show)
        {
            for (var round = 0; Count <= 0 || round < Count; round++)
            {
                if (Stop.WaitHandle.WaitOne(Interval))
                    return;
                show(Sampler.Sample());
            }
        }
    }

    private static void WriteJsonLine(IReadOnlyList<ProgramCost> costs, double interval)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("time", DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            w.WriteNumber("interval_s", interval);
            w.WriteStartArray("programs");
            foreach (var c in costs)
            {
                w.WriteStartObject();
                w.WriteNumber("id", c.Id);
                w.WriteString("type", c.TypeName);
                w.WriteString("name", c.Name);
                w.WriteNumber("runs_per_sec", Math.Round(c.RunsPerSecond, 1));
                w.WriteNumber("avg_run_ns", Math.Round(c.AverageRunNs, 1));
                w.WriteNumber("cpu_percent", Math.Round(c.CpuPercent, 3));
                w.WriteNumber("run_cnt", c.RunCount);
                w.WriteNumber("run_time_ns", c.RunTimeNs);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        Console.Out.Write(Encoding.UTF8.GetString(buffer.ToArray()) + "\n");
        Console.Out.Flush();
    }

    private static void RunLive(Loop loop, uint? detailId)
    {
        using var quit = CancellationTokenSource.CreateLinkedTokenSource(loop.Stop);
        loop = loop with { Stop = quit.Token };
        AnsiConsole.Live(new Markup("[grey]sampling...[/]")).AutoClear(false).Start(ctx =>
        {
            loop.Run(costs =>
            {
                ctx.UpdateTarget(Render(costs, detailId));
                ctx.Refresh();
                if (!Console.IsInputRedirected && Console.KeyAvailable && Console.ReadKey(true).KeyChar is 'q' or 'Q')
                    quit.Cancel();
            });
        });
    }

    private static Rows Render(IReadOnlyList<ProgramCost> costs, uint? detailId)
    {
        var table = new Table().Expand().Border(TableBorder.Simple);
        foreach (var column in new[] { "ID", "TYPE", "NAME", "RUNS/S", "AVG NS", "CPU %", "RUNS/S HISTORY" })
            table.AddColumn(new TableColumn(column) { Alignment = column is "RUNS/S" or "AVG NS" or "CPU %" ? Justify.Right : Justify.Left });
        var rows = Math.Max(5, (Console.IsOutputRedirected ? 50 : Console.WindowHeight) - 8 - (detailId is null ? 0 : 8));
        foreach (var c in costs.Take(rows))
            table.AddRow(c.Id.ToString(CultureInfo.InvariantCulture), c.TypeName, Markup.Escape(c.Name),
                c.RunsPerSecond.ToString("N0", CultureInfo.InvariantCulture), c.AverageRunNs.ToString("N0", CultureInfo.InvariantCulture),
                c.CpuPercent.ToString("0.00", CultureInfo.InvariantCulture), Sparkline(c.History));
        var title = $"[bold]{costs.Count} programs[/], {costs.Count(c => c.RunsPerSecond > 0)} running, " +
            $"{costs.Sum(c => c.CpuPercent).ToString("0.00", CultureInfo.InvariantCulture)}% of one CPU  [grey](q or Ctrl+C quits)[/]";
        var parts = new List<Spectre.Console.Rendering.IRenderable> { new Markup(title) };
        if (detailId is { } id)
            parts.Add(Detail(id, costs.FirstOrDefault(c => c.Id == id)));
        parts.Add(table);
        return new Rows(parts);
    }

    private static Panel Detail(uint id, ProgramCost? cost)
    {
        if (ProgramCostSampler.Detail(id) is not { } d)
            return new Panel(new Markup($"[red]program {id} is not loaded[/]")).Header("detail");
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{d.Type} [bold]{Markup.Escape(d.Name)}[/]  tag {d.Tag}\n");
        text.Append(CultureInfo.InvariantCulture, $"xlated {d.XlatedInstructions} insns  jited {d.JitedBytes} bytes  verified {d.VerifiedInstructions} insns\n");
        if (cost is not null)
            text.Append(CultureInfo.InvariantCulture, $"{cost.RunsPerSecond:N0} runs/s  {cost.AverageRunNs:N0} ns/run  {cost.CpuPercent:0.00}% CPU  {Sparkline(cost.History)}\n");
        text.Append("maps: ").Append(d.Maps.Count == 0 ? "none" : string.Join(", ", d.Maps.Select(m => $"{m.Id} {Markup.Escape(m.Name)} ({m.Type})")));
        return new Panel(new Markup(text.ToString())).Header($"program {id}");
    }

    private const string Bars = "▁▂▃▄▅▆▇█";

    internal static string Sparkline(IReadOnlyList<double> values)
    {
        var max = values.Count == 0 ? 0 : values.Max();
        return new string([.. values.Select(v => max <= 0 ? Bars[0] : Bars[(int)Math.Round(v / max * (Bars.Length - 1))])]);
    }
}
