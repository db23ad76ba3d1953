using System.Diagnostics;
using SharpBpf.Cbpf;
using SharpBpf.Packets;
using SharpBpf.PcapFilter;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.PcapFilter;

/// <summary>The expression corpus (expressions.txt) and tcpdump as the oracle.</summary>
public static class FilterCorpus
{
    public sealed record Entry(string Expression, int LinkType, string? LinkTypeName);

    public static IReadOnlyList<Entry> Entries { get; } = Load();

    private static List<Entry> Load()
    {
        var path = Path.Combine(TestPrograms.RepoRoot, "tests", "SharpBpf.Tests", "PcapFilter", "expressions.txt");
        var entries = new List<Entry>();
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            if (line.StartsWith('@'))
            {
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                var name = line[1..space];
                entries.Add(new Entry(line[(space + 1)..], PcapFilterCompiler.LinkTypeFromName(name), name));
            }
            else
            {
                entries.Add(new Entry(line, LinkTypes.Ethernet, null));
            }
        }
        return entries;
    }

    /// <summary>What tcpdump prints for the entry with <paramref name="flags"/>, or "error: MESSAGE".</summary>
    public static string Tcpdump(Entry entry, params string[] flags)
    {
        var info = new ProcessStartInfo(Requirements.Tool("tcpdump")) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (entry.LinkTypeName is not null)
        {
            info.ArgumentList.Add("-y");
            info.ArgumentList.Add(entry.LinkTypeName);
        }
        foreach (var flag in flags)
            info.ArgumentList.Add(flag);
        info.ArgumentList.Add("--");
        info.ArgumentList.Add(entry.Expression);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            var message = stderr.Split('\n').First(l => l.StartsWith("tcpdump: ", StringComparison.Ordinal));
            return "error: " + message["tcpdump: ".Length..];
        }
        return stdout.Result;
    }

    /// <summary>Ours, rendered as tcpdump would for the flag (-d, -dd, -ddd), or "error: MESSAGE".</summary>
    public static string Ours(Entry entry, string flag, bool optimize = true)
    {
        CbpfInstruction[] program;
        try
        {
            program = PcapFilterCompiler.Compile(entry.Expression, entry.LinkType, optimize);
        }
        catch (PcapFilterException e)
        {
            return "error: " + e.Message;
        }
        return flag switch
        {
            "-d" => CbpfText.Listing(program),
            "-dd" => CbpfText.CArray(program),
            _ => CbpfText.Decimal(program),
        };
    }

    /// <summary>Runs <paramref name="check"/> over the entries two at a time; returns every mismatch.</summary>
    public static List<string> Mismatches(IEnumerable<Entry> entries, Func<Entry, string?> check)
    {
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(entries, new ParallelOptions { MaxDegreeOfParallelism = 2 }, entry =>
        {
            if (check(entry) is { } failure)
                failures.Add(failure);
        });
        return [.. failures.OrderBy(f => f, StringComparer.Ordinal)];
    }
}
