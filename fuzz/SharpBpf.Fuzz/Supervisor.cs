using System.Collections.Concurrent;
using System.Diagnostics;

namespace SharpBpf.Fuzz;

/// <summary>
/// Runs cases in child worker processes, so that a crash (an abort, a stack overflow, an access violation) or a hang is
/// observed and recorded against the case that caused it, and the run goes on from the next case in a new worker.
/// Prints every finding and a summary: cases run, host crashes, hangs, uncaught exceptions, disagreements, peak RSS.
/// </summary>
internal static class Supervisor
{
    public static int Run(FuzzOptions options)
    {
        var seeds = options.SeedDirs
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .Where(f => f.EndsWith(".o", StringComparison.Ordinal) || f.EndsWith(".btf", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).ToArray();
        if (options.Files > 0 && seeds.Length == 0)
            throw new FormatException("mutating files needs seed objects: --seeds DIR (with .o or .btf files)");
        var watch = Stopwatch.StartNew();
        var programs = RunKind("programs", options, options.Programs, []);
        var files = RunKind("files", options, options.Files, seeds);
        var all = programs.Findings.Concat(files.Findings).ToList();
        Console.WriteLine($"programs: {programs.Done} run ({options.Programs} asked), files: {files.Done} run ({options.Files} asked, {seeds.Length} seeds), {watch.Elapsed.TotalSeconds:F0} s");
        foreach (var kind in new[] { "crash", "hang", "exception", "disagreement" })
            Console.WriteLine($"{kind}: {all.Count(f => f.StartsWith(kind + " ", StringComparison.Ordinal))}");
        Console.WriteLine($"peak RSS of a worker: {Math.Max(programs.PeakRssKb, files.PeakRssKb) / 1024} MiB " +
            $"(programs {programs.PeakRssKb / 1024} MiB, files {files.PeakRssKb / 1024} MiB)");
        return all.Count == 0 ? 0 : 1;
    }

    private sealed class Tally
    {
        public long Done;
        public long PeakRssKb;
        public readonly List<string> Findings = [];

        public void Add(string kind, string what, long n, string detail)
        {
            string line = $"{kind} {what} #{n}: {detail}";
            Findings.Add(line);
            Console.WriteLine(line);
        }
    }

    private static Tally RunKind(string what, FuzzOptions options, long total, string[] seeds)
    {
        var tally = new Tally();
        long next = 0;
        while (next < total)
        {
            long count = Math.Min(options.Batch, total - next);
            next = RunWorker(what, options, next, count, seeds, tally);
            Console.WriteLine($"progress: {what} {tally.Done} run, {tally.Findings.Count} findings, peak RSS {tally.PeakRssKb / 1024} MiB");
        }
        return tally;
    }

    /// <summary>Runs cases [start, start+count) in one worker; returns where to go on (after a crash or hang: the next case).</summary>
    private static long RunWorker(string what, FuzzOptions options, long start, long count, string[] seeds, Tally tally)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var self = Environment.ProcessPath!;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            info.ArgumentList.Add(typeof(Supervisor).Assembly.Location);
        info.FileName = self;
        foreach (var a in new[] { "worker", what, options.Seed.ToString(), start.ToString(), count.ToString() }.Concat(seeds))
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var lines = new BlockingCollection<string>();
        process.OutputDataReceived += (_, _) => { }; // objdump writes the raw stdout: drained, not read
        process.BeginOutputReadLine();
        var reader = new Thread(() =>
        {
            string? line;
            while ((line = process.StandardError.ReadLine()) is not null)
                lines.Add(line);
            lines.CompleteAdding();
        }) { IsBackground = true };
        reader.Start();

        long begun = -1, ended = start - 1;
        bool done = false;
        var other = new Queue<string>(); // what the runtime or libc printed (a crash's reason)
        var lastProgress = Stopwatch.StartNew();
        while (!lines.IsCompleted)
        {
            tally.PeakRssKb = Math.Max(tally.PeakRssKb, WorkerProtocol.PeakRssKb(process.Id.ToString()));
            if (!lines.TryTake(out var line, TimeSpan.FromSeconds(1)))
            {
                if (lastProgress.Elapsed < options.Timeout || lines.IsCompleted)
                    continue;
                process.Kill(entireProcessTree: true);
                tally.Add("hang", what, begun, $"no progress for {options.Timeout.TotalSeconds:F0} s");
                process.WaitForExit();
                tally.Done += begun - start + 1;
                return begun + 1;
            }
            lastProgress.Restart();
            if (!line.StartsWith(WorkerProtocol.Prefix, StringComparison.Ordinal))
            {
                other.Enqueue(line);
                if (other.Count > 5)
                    other.Dequeue();
                continue;
            }
            var parts = line[WorkerProtocol.Prefix.Length..].Split(' ', 4);
            switch (parts[0])
            {
                case "begin": begun = long.Parse(parts[1]); break;
                case "end": ended = long.Parse(parts[1]); break;
                case "finding": tally.Add(parts[2], what, long.Parse(parts[1]), parts.Length > 3 ? parts[3] : ""); break;
                case "rss": tally.PeakRssKb = Math.Max(tally.PeakRssKb, long.Parse(parts[1])); break;
                case "done": done = true; break;
            }
        }
        process.WaitForExit();
        if (done && process.ExitCode == 0)
        {
            tally.Done += count;
            return start + count;
        }
        if (begun <= ended)
            throw new InvalidOperationException($"the {what} worker failed outside any case (exit {process.ExitCode}): {string.Join(" | ", other)}");
        tally.Add("crash", what, begun, $"exit {process.ExitCode}: {string.Join(" | ", other)}");
        tally.Done += begun - start + 1;
        return begun + 1;
    }
}
