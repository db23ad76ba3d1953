namespace SharpBpf.Vm;

/// <summary>What to run a program on, as the kernel's BPF_PROG_TEST_RUN takes it.</summary>
public sealed class VmRunInput
{
    /// <summary>The packet (data_in) for XDP and skb programs; the memory r1 points to for other program types.</summary>
    public ReadOnlyMemory<byte> Data { get; init; }

    /// <summary>ctx_in: an <c>xdp_md</c> or <c>__sk_buff</c> with the fields the kernel's test_run accepts; for other program
    /// types, when given, the memory r1 points to instead of <see cref="Data"/>.</summary>
    public ReadOnlyMemory<byte>? Context { get; init; }

    /// <summary>How many times to run (the result is the last run's, the duration the mean).</summary>
    public int Repeat { get; init; } = 1;
}

/// <summary>What a run returned: r0 (truncated to 32 bits for program types whose kernel return value is u32), the
/// packet or memory afterwards, the context afterwards (when the program type has one), and the mean duration.</summary>
public sealed record VmRunResult(ulong ReturnValue, byte[] DataOut, byte[]? ContextOut, TimeSpan Duration)
{
    /// <summary>What bpf_redirect/bpf_redirect_map asked for during the (last) run, if anything.</summary>
    public VmRedirect? Redirect { get; init; }

    /// <summary>The mean duration in nanoseconds (what the kernel's test_run reports), never 0 for a program that ran;
    /// <see cref="Duration"/> is the same in 100 ns ticks.</summary>
    public ulong DurationNs { get; init; }
}
