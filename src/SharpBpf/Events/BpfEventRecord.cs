namespace SharpBpf.Events;

/// <summary>What one read produced: a sample of <paramref name="Length"/> bytes, or a count of lost samples.</summary>
/// <param name="Length">Bytes copied into the caller's buffer (0 for a lost record). Perf samples keep the kernel's padding.</param>
/// <param name="Cpu">The CPU whose perf ring held the record; -1 for ring buffers, which do not record it.</param>
/// <param name="LostSamples">For a lost record (perf buffers only): how many samples the full ring dropped.</param>
public readonly record struct BpfEventRecord(int Length, int Cpu, ulong LostSamples)
{
    /// <summary>True for a perf buffer's report of dropped samples, which carries no data.</summary>
    public bool IsLost => LostSamples != 0;
}

/// <summary>One record of <see cref="IBpfEventReader.ReadAllAsync"/>.</summary>
/// <param name="Data">The sample; points into the enumeration's buffer and is valid until the next record is read.</param>
/// <param name="Cpu">The CPU whose perf ring held the record; -1 for ring buffers.</param>
/// <param name="LostSamples">For a lost record (perf buffers only): how many samples were dropped; <paramref name="Data"/> is empty.</param>
public readonly record struct BpfEvent(ReadOnlyMemory<byte> Data, int Cpu, ulong LostSamples)
{
    /// <summary>True for a perf buffer's report of dropped samples.</summary>
    public bool IsLost => LostSamples != 0;
}
