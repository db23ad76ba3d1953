using SharpBpf.Linux;
using SharpBpf.Maps;
using SharpBpf.Objects;
using SharpBpf.Vm;

namespace SharpBpf.Running;

/// <summary>
/// Runs a program on a sequence of inputs in any <see cref="IBpfEngine"/>, as <c>bpftool prog run</c> does in the kernel:
/// the object is loaded (only the program asked for and the programs its PROG_ARRAYs name, so another program's load
/// failure has nothing to do with the run), the program runs once per input, the maps are read after the last run, and
/// everything is released. The calling thread is pinned to <see cref="Cpu"/> during the runs where the machine allows it,
/// so per-CPU maps of the kernel compare with the VM's (give the VM the same CPU as its current one).
/// </summary>
public sealed class ProgramRunner(IBpfEngine engine)
{
    /// <summary>The CPU the calling thread is pinned to during the runs.</summary>
    public int Cpu { get; init; }

    /// <summary>The engine the runs happen in.</summary>
    public IBpfEngine Engine { get; } = engine ?? throw new ArgumentNullException(nameof(engine));

    /// <summary>Runs the request and hands the report to <paramref name="consume"/> while the engine still holds the maps:
    /// map entries are read as they are enumerated, so a huge map can be written out without being held in memory.</summary>
    public void Run(ProgramRunRequest request, Action<ProgramRunReport> consume)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(consume);
        var obj = ObjectSpec.Load(request.Target);
        var chosen = request.ChooseProgram(obj);
        var tailCallTargets = obj.Maps.Where(m => m.Type == BpfMapType.ProgArray).SelectMany(m => m.Contents)
            .Select(s => s.Target).ToHashSet(StringComparer.Ordinal);
        foreach (var program in obj.Programs)
            program.Autoload = ReferenceEquals(program, chosen) || tailCallTargets.Contains(program.Name);
        using var collection = Engine.Load(obj);
        var maps = MapSelection.Before(collection.Maps, request.Maps);
        var runs = RunAll(collection.Program(chosen.Name), request);
        consume(new ProgramRunReport(chosen.Name, runs, maps.After()));
    }

    /// <summary>Runs the request's inputs on a program that is already loaded (no maps reported).</summary>
    public ProgramRunReport RunLoaded(IBpfProgram program, ProgramRunRequest request)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(request);
        return new ProgramRunReport(program.Name, RunAll(program, request), []);
    }

    /// <summary>Runs and returns the report with its maps read into memory.</summary>
    public ProgramRunReport Run(ProgramRunRequest request)
    {
        ProgramRunReport? report = null;
        Run(request, r => report = r.Materialized());
        return report!;
    }

    /// <summary>
    /// One run per input. A sequence of single runs (a capture's packets) is timed as a whole, two clock reads rather
    /// than two per packet, and each run reports the mean, which includes building its results; an engine that times
    /// its runs itself (the kernel) keeps its own figures.
    /// </summary>
    private List<RunResult> RunAll(IBpfProgram program, ProgramRunRequest request)
    {
        using var pinned = CpuAffinity.TryPin(Cpu);
        var inputs = request.RunInputs;
        bool timeEach = inputs.Count == 1 || request.Repeat > 1;
        var runs = new List<RunResult>(inputs.Count);
        long start = RunClock.Nanoseconds();
        foreach (var input in inputs)
            runs.Add(RunOne(program, request.InputFor(input, timeEach)));
        if (!timeEach)
        {
            ulong mean = RunClock.MeanNanoseconds(RunClock.Nanoseconds() - start, runs.Count);
            for (int i = 0; i < runs.Count; i++)
                if (runs[i].Error is null && runs[i].DurationNs == 0)
                    runs[i] = runs[i] with { DurationNs = mean };
        }
        return runs;
    }

    /// <summary>VM options that make the VM's per-CPU maps match this machine's kernel: one copy per possible CPU (the
    /// processor count off Linux), runs on <paramref name="cpu"/>, where the kernel runs are pinned.</summary>
    public static VmOptions VmOptionsForThisMachine(int cpu = 0)
    {
        int cpus;
        try
        {
            cpus = OperatingSystem.IsLinux() ? PossibleCpus.Count : Environment.ProcessorCount;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BpfException)
        {
            cpus = Environment.ProcessorCount;
        }
        return new VmOptions { CpuCount = Math.Max(cpus, cpu + 1), CurrentCpu = cpu };
    }

    private static RunResult RunOne(IBpfProgram program, RunInput input)
    {
        try
        {
            return program.Run(input);
        }
        catch (BpfException e)
        {
            return RunResult.Failed(e.Message);
        }
    }
}
