using SharpBpf.Objects;

namespace SharpBpf.Running;

/// <summary>
/// What <c>prog run</c> asks an engine to do: load an object, run one of its programs once per input, in order, with the
/// maps persisting from one input to the next, and report every run and the maps at the end.
/// </summary>
public sealed record ProgramRunRequest
{
    /// <summary>The object file.</summary>
    public required string Target { get; init; }
    /// <summary>The program to run; null picks the object's first program that loads by default.</summary>
    public string? ProgramName { get; init; }
    /// <summary>data_in of each run, in order (a pcap's packets). Empty: one run without data.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Inputs { get; init; } = [];
    /// <summary>ctx_in, the same for every run (e.g. a struct xdp_md); null: none.</summary>
    public byte[]? ContextIn { get; init; }
    /// <summary>Runs per input; the reported duration is their mean.</summary>
    public int Repeat { get; init; } = 1;
    /// <summary>Bytes to reserve for data out; null = data in + headroom.</summary>
    public int? DataOutSize { get; init; }
    /// <summary>Bytes to reserve for ctx out; null = the size of ctx in.</summary>
    public int? ContextOutSize { get; init; }
    /// <summary>Which maps the result reports.</summary>
    public MapReport Maps { get; init; } = MapReport.All;

    /// <summary>The data_in of each run (one empty input when there is none).</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> RunInputs => Inputs.Count == 0 ? [ReadOnlyMemory<byte>.Empty] : Inputs;

    /// <summary>The program of <paramref name="obj"/> this request runs.</summary>
    public ProgramSpec ChooseProgram(ObjectSpec obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return ProgramName is null
            ? obj.Programs.FirstOrDefault(p => p.Autoload) ?? throw new BpfNotFoundException("program", "", $"{Target} has no program to run")
            : obj.FindProgram(ProgramName) ?? throw new BpfNotFoundException("program", ProgramName,
                $"{Target} has no program '{ProgramName}' (it has: {string.Join(", ", obj.Programs.Select(p => p.Name))})");
    }

    /// <summary>The engine input of one run on <paramref name="data"/>. Ctx out is as large as ctx in unless asked
    /// otherwise, as the kernel's.</summary>
    internal RunInput InputFor(ReadOnlyMemory<byte> data, bool timed) => new()
    {
        Data = data,
        Context = ContextIn is { } context ? (ReadOnlyMemory<byte>?)context : null, // (a null byte[] would become an empty ctx_in)
        Repeat = Repeat,
        DataOutSize = DataOutSize,
        ContextOutSize = ContextOutSize ?? ContextIn?.Length ?? 0,
        Timed = timed,
    };
}
