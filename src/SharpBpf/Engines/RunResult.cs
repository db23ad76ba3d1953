using SharpBpf.Vm;

namespace SharpBpf;

/// <summary>What a run returned, in either engine: r0 (32 bits for program types whose kernel return value is u32),
/// the packet or memory afterwards, the context afterwards (empty when there is none), and the mean duration of one run
/// in nanoseconds (never 0 for a timed run).</summary>
public sealed record RunResult(ulong ReturnValue, byte[] DataOut, byte[] ContextOut, ulong DurationNs)
{
    /// <summary>What bpf_redirect/bpf_redirect_map asked for during the (last) run, where the engine reports it (the VM).</summary>
    public VmRedirect? Redirect { get; init; }

    /// <summary>In a batch of runs (<see cref="Running.ProgramRunner"/>), why this one failed while the others went on;
    /// null when it ran. A single <see cref="IBpfProgram.Run"/> throws instead.</summary>
    public string? Error { get; init; }

    /// <summary>The result of a run that failed in a batch.</summary>
    public static RunResult Failed(string error) => new(0, [], [], 0) { Error = error };
}
