namespace SharpBpf;

/// <summary>What to run a program on, as BPF_PROG_TEST_RUN takes it; the same for both engines.</summary>
public sealed record RunInput
{
    /// <summary>data_in: the packet for XDP and skb programs; for other program types the memory r1 points to.</summary>
    public ReadOnlyMemory<byte> Data { get; init; }

    /// <summary>ctx_in (an <c>xdp_md</c>, a <c>__sk_buff</c>...); null: none.</summary>
    public ReadOnlyMemory<byte>? Context { get; init; }

    /// <summary>How many times to run; the result is the last run's and the duration the mean.</summary>
    public int Repeat { get; init; } = 1;

    /// <summary>Bytes reserved for data out; null: data in + 256 (XDP may grow the packet at the tail).</summary>
    public int? DataOutSize { get; init; }

    /// <summary>Bytes reserved for ctx out; null: the size of ctx in.</summary>
    public int? ContextOutSize { get; init; }

    /// <summary>False lets an engine skip its clock reads (<see cref="RunResult.DurationNs"/> 0) when the caller times a
    /// whole sequence of runs itself; the kernel always reports its own duration.</summary>
    public bool Timed { get; init; } = true;

    internal void Validate()
    {
        if (Repeat < 1)
            throw new ArgumentOutOfRangeException(nameof(Repeat), Repeat, "Repeat must be at least 1");
        if (DataOutSize < 0 || ContextOutSize < 0)
            throw new ArgumentOutOfRangeException(nameof(DataOutSize), "the output sizes must not be negative");
    }

    /// <summary>Space for data out: what was asked, else data in + 256 (none without data in).</summary>
    internal int DataOutCapacity => DataOutSize ?? (Data.IsEmpty ? 0 : Data.Length + 256);

    /// <summary>Space for ctx out: what was asked, else the size of ctx in.</summary>
    internal int ContextOutCapacity => ContextOutSize ?? Context?.Length ?? 0;
}
