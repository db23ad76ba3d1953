namespace SharpBpf.Running;

/// <summary>What <c>prog run</c> asks an engine to do: run one program of an object (or a loaded program) on a packet/context.</summary>
public sealed record ProgramRunRequest
{
    /// <summary>An object file path; kernel runners also accept a loaded program as "id N", "pinned PATH", "name NAME".</summary>
    public required string Target { get; init; }
    /// <summary>The program to run; null picks the object's only (or first) program.</summary>
    public string? ProgramName { get; init; }
    public byte[] DataIn { get; init; } = [];
    public byte[]? ContextIn { get; init; }
    public uint Repeat { get; init; } = 1;
    /// <summary>Bytes to reserve for data out; null = data in + headroom.</summary>
    public int? DataOutSize { get; init; }
    public int? ContextOutSize { get; init; }
}

/// <summary>What a run returned, engine-neutral.</summary>
public sealed record ProgramRunResult(string ProgramName, uint ReturnValue, byte[] DataOut, byte[] ContextOut, ulong DurationNs);

/// <summary>An engine that can run a program once (or <see cref="ProgramRunRequest.Repeat"/> times): the kernel's BPF_PROG_TEST_RUN or the VM.</summary>
public interface IProgramRunner
{
    /// <summary>"kernel" or "vm": the value of <c>--engine</c> that selects this runner.</summary>
    string Engine { get; }

    ProgramRunResult Run(ProgramRunRequest request);
}
