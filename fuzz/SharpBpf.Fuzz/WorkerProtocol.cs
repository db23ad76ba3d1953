namespace SharpBpf.Fuzz;

/// <summary>
/// What a worker tells the supervisor, one line each on its real stderr (the code under test writes to Console, which the
/// worker silences): <c>@@begin N</c> before case N, <c>@@end N</c> after it, <c>@@finding N KIND DETAIL</c>, <c>@@rss KB</c>
/// and <c>@@done</c>. A case begun and never ended is the one that crashed or hung the worker.
/// </summary>
internal sealed class WorkerProtocol : IDisposable
{
    public const string Prefix = "@@";
    private readonly StreamWriter _out = new(Console.OpenStandardError()) { AutoFlush = false };

    public WorkerProtocol()
    {
        Console.SetOut(TextWriter.Null);
        Console.SetError(TextWriter.Null);
    }

    public void Begin(long n) => Line($"begin {n}");

    public void End(long n)
    {
        Line($"end {n}");
        if (n % 500 == 0)
            Line($"rss {PeakRssKb()}");
    }

    public void Finding(long n, string kind, string detail) =>
        Line($"finding {n} {kind} {detail.ReplaceLineEndings(" ⏎ ")}");

    public void Dispose()
    {
        Line($"rss {PeakRssKb()}");
        Line("done");
    }

    private void Line(string text)
    {
        _out.Write(Prefix);
        _out.Write(text);
        _out.Write('\n');
        _out.Flush();
    }

    /// <summary>This process's peak resident set (VmHWM), in KiB; 0 where /proc is not available.</summary>
    public static long PeakRssKb() => PeakRssKb("self");

    public static long PeakRssKb(string pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim());
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return 0;
    }
}
