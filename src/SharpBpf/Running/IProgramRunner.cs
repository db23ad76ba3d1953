using SharpBpf.Objects;

namespace SharpBpf.Running;

/// <summary>
/// What <c>prog run</c> asks an engine to do: load an object (or open a loaded program), run one of its programs once per
/// input, in order, with the maps persisting from one input to the next, and report every run and the maps at the end.
/// </summary>
public sealed record ProgramRunRequest
{
    /// <summary>An object file path; kernel runners also accept a loaded program as "id N", "pinned PATH", "name NAME", "tag TAG".</summary>
    public required string Target { get; init; }
    /// <summary>The program to run; null picks the object's first program that loads by default.</summary>
    public string? ProgramName { get; init; }
    /// <summary>data_in of each run, in order (a pcap's packets). Empty: one run without data.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Inputs { get; init; } = [];
    /// <summary>ctx_in, the same for every run (e.g. a struct xdp_md); null: none.</summary>
    public byte[]? ContextIn { get; init; }
    /// <summary>Runs per input; the reported duration is their mean.</summary>
    public uint Repeat { get; init; } = 1;
    /// <summary>Bytes to reserve for data out; null = data in + headroom.</summary>
    public int? DataOutSize { get; init; }
    public int? ContextOutSize { get; init; }
    /// <summary>Which maps the result reports.</summary>
    public MapReport Maps { get; init; } = MapReport.All;

    /// <summary>The data_in of each run (one empty input when there is none).</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> RunInputs => Inputs.Count == 0 ? [ReadOnlyMemory<byte>.Empty] : Inputs;

    /// <summary>Whether <see cref="Target"/> names a program already loaded in the kernel ("id 12", "pinned /sys/fs/bpf/x") rather than an object file.</summary>
    public bool TargetsLoadedProgram
    {
        get
        {
            var words = Target.Split(' ', 2);
            return words.Length == 2 && words[0] is "id" or "pinned" or "name" or "tag" && !File.Exists(Target);
        }
    }

    /// <summary>The program of <paramref name="obj"/> this request runs.</summary>
    public ProgramSpec ChooseProgram(ObjectSpec obj) => ProgramName is null
        ? obj.Programs.FirstOrDefault(p => p.Autoload) ?? throw new BpfException($"{Target} has no program to run")
        : obj.FindProgram(ProgramName) ?? throw new BpfException(
            $"{Target} has no program '{ProgramName}' (it has: {string.Join(", ", obj.Programs.Select(p => p.Name))})");
}

/// <summary>One run: what the program returned and left behind, or why the engine refused to run it.</summary>
public sealed record ProgramRun(uint ReturnValue, byte[] DataOut, byte[] ContextOut, ulong DurationNs)
{
    /// <summary>Why the run failed (the engine refused the input, or the VM faulted); null when it ran.</summary>
    public string? Error { get; init; }

    public static ProgramRun Failed(string error) => new(0, [], [], 0) { Error = error };
}

/// <summary>What a request produced, engine-neutral: one <see cref="ProgramRun"/> per input, then the object's maps.</summary>
/// <param name="Maps">The object's maps after the last run that <see cref="ProgramRunRequest.Maps"/> asked for, sorted by name
/// (empty for a program that was already loaded).</param>
public sealed record ProgramRunResult(string ProgramName, IReadOnlyList<ProgramRun> Runs, IReadOnlyList<MapContents> Maps)
{
    /// <summary>A copy whose maps no longer need the engine.</summary>
    public ProgramRunResult Materialized() => this with { Maps = Maps.Select(m => m.Materialized()).ToList() };
}

/// <summary>An engine that runs a program on inputs: the kernel's BPF_PROG_TEST_RUN or the VM.</summary>
public interface IProgramRunner
{
    /// <summary>"kernel" or "vm": the value of <c>--engine</c> that selects this runner.</summary>
    string Engine { get; }

    /// <summary>Runs the request and hands the result to <paramref name="consume"/> while the engine still holds the maps:
    /// map entries are read as they are enumerated, so a huge map can be written out without being held in memory.</summary>
    void Run(ProgramRunRequest request, Action<ProgramRunResult> consume);
}

public static class ProgramRunnerExtensions
{
    /// <summary>Runs the request and returns the result with its maps read into memory.</summary>
    public static ProgramRunResult Run(this IProgramRunner runner, ProgramRunRequest request)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ProgramRunResult? result = null;
        runner.Run(request, r => result = r.Materialized());
        return result!;
    }
}
