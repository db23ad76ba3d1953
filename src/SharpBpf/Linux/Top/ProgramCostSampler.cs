using System.Diagnostics;

namespace SharpBpf.Linux.Top;

/// <summary>
/// `sharpbpf top`'s engine: holds a BPF_ENABLE_STATS descriptor (so the kernel counts run time only while it lives),
/// walks every loaded program each <see cref="Sample"/>, and reports what each cost since the previous sample.
/// Programs that vanish mid-walk are skipped.
/// </summary>
public sealed class ProgramCostSampler : IDisposable
{
    private readonly BpfFd _stats;
    private readonly ProgramCostTracker _tracker;
    private readonly Dictionary<uint, string> _names = [];
    private readonly Stopwatch _clock = new();

    public ProgramCostSampler(int historyLength = 30)
    {
        _stats = BpfSyscall.EnableRunTimeStats();
        _tracker = new ProgramCostTracker(historyLength);
    }

    /// <summary>The costs since the previous call (rates are 0 on the first call, which sets the baseline).</summary>
    public IReadOnlyList<ProgramCost> Sample()
    {
        var elapsed = _clock.IsRunning ? _clock.Elapsed.TotalSeconds : 0;
        var snapshot = Snapshot();
        _clock.Restart();
        return _tracker.Update(snapshot, elapsed);
    }

    private List<ProgramCounters> Snapshot()
    {
        var result = new List<ProgramCounters>();
        var alive = new HashSet<uint>();
        foreach (var id in BpfSyscall.Ids(BpfObjectKind.Program))
        {
            using var fd = BpfSyscall.TryGetFdById(BpfObjectKind.Program, id);
            if (fd is null)
                continue;
            var info = KernelObjectInfo.GetProgramInfo(fd);
            if (!_names.TryGetValue(id, out var name))
                _names[id] = name = LoadedProgramName.Of(fd, info);
            alive.Add(id);
            result.Add(new ProgramCounters(id, info.Type, name, info.RunCount, info.RunTimeNs));
        }
        foreach (var gone in _names.Keys.Where(k => !alive.Contains(k)).ToList())
            _names.Remove(gone);
        return result;
    }

    /// <summary>The detail view of one program: its maps and instruction counts, or null when it is gone.</summary>
    public static ProgramDetail? Detail(uint id)
    {
        using var fd = BpfSyscall.TryGetFdById(BpfObjectKind.Program, id);
        if (fd is null)
            return null;
        var info = KernelObjectInfo.GetProgramInfo(fd);
        var maps = new List<(uint, string, string)>();
        foreach (var mapId in info.MapIds)
        {
            using var map = BpfSyscall.TryGetFdById(BpfObjectKind.Map, mapId);
            if (map is not null && KernelObjectInfo.GetMapInfo(map) is { } m)
                maps.Add((mapId, m.Name, BpfNames.MapType(m.Type)));
        }
        return new ProgramDetail(id, LoadedProgramName.Of(fd, info), BpfNames.ProgramType(info.Type), info.TagHex,
            info.XlatedLength / 8, info.JitedLength, info.VerifiedInstructions, maps);
    }

    public void Dispose() => _stats.Dispose();
}

/// <summary>One program in detail: its maps (id, name, type) and its size after the verifier (xlated instructions) and the JIT.</summary>
public sealed record ProgramDetail(uint Id, string Name, string Type, string Tag, int XlatedInstructions, int JitedBytes,
    uint VerifiedInstructions, IReadOnlyList<(uint Id, string Name, string Type)> Maps);
