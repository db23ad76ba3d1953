namespace SharpBpf.Linux.Top;

/// <summary>A loaded program's cumulative statistics at one moment (bpf_prog_info's run_cnt and run_time_ns).</summary>
public readonly record struct ProgramCounters(uint Id, BpfProgramType Type, string Name, ulong RunCount, ulong RunTimeNs);

/// <summary>
/// What a program cost over the last interval: runs per second, average nanoseconds per run, and the share of one
/// CPU (run time over wall time, in percent), with the recent runs-per-second history for a sparkline.
/// </summary>
public sealed record ProgramCost(uint Id, BpfProgramType Type, string Name, double RunsPerSecond, double AverageRunNs,
    double CpuPercent, ulong RunCount, ulong RunTimeNs, IReadOnlyList<double> History)
{
    public string TypeName => BpfNames.ProgramType(Type);
}

/// <summary>
/// Turns successive snapshots of every program's counters into per-interval costs. Programs that appear start with
/// their first interval; programs that disappear drop out. Pure: <see cref="ProgramCostSampler"/> feeds it the kernel.
/// </summary>
public sealed class ProgramCostTracker(int historyLength = 30)
{
    private Dictionary<uint, (ProgramCounters Counters, Queue<double> History)> _last = [];

    /// <summary>
    /// The costs since the previous snapshot, most expensive (CPU share, then runs per second) first. A program seen
    /// for the first time has no baseline: its rates are 0 until the next snapshot.
    /// </summary>
    public IReadOnlyList<ProgramCost> Update(IEnumerable<ProgramCounters> snapshot, double elapsedSeconds)
    {
        var next = new Dictionary<uint, (ProgramCounters, Queue<double>)>();
        var result = new List<ProgramCost>();
        foreach (var now in snapshot)
        {
            double runs = 0, ns = 0;
            Queue<double> history;
            if (_last.TryGetValue(now.Id, out var before))
            {
                history = before.History;
                // Counters only grow while statistics stay on; a drop means someone reset them (stats off and on).
                runs = now.RunCount >= before.Counters.RunCount ? now.RunCount - before.Counters.RunCount : 0;
                ns = now.RunTimeNs >= before.Counters.RunTimeNs ? now.RunTimeNs - before.Counters.RunTimeNs : 0;
            }
            else
                history = new Queue<double>();
            var perSecond = elapsedSeconds > 0 ? runs / elapsedSeconds : 0;
            if (_last.ContainsKey(now.Id))
            {
                history.Enqueue(perSecond);
                while (history.Count > historyLength)
                    history.Dequeue();
            }
            next[now.Id] = (now, history);
            result.Add(new ProgramCost(now.Id, now.Type, now.Name, perSecond, runs > 0 ? ns / runs : 0,
                elapsedSeconds > 0 ? ns / (elapsedSeconds * 1e9) * 100 : 0, now.RunCount, now.RunTimeNs, [.. history]));
        }
        _last = next;
        result.Sort((a, b) => b.CpuPercent != a.CpuPercent ? b.CpuPercent.CompareTo(a.CpuPercent)
            : b.RunsPerSecond != a.RunsPerSecond ? b.RunsPerSecond.CompareTo(a.RunsPerSecond) : a.Id.CompareTo(b.Id));
        return result;
    }
}
