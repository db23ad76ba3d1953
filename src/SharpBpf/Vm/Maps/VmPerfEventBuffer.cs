namespace SharpBpf.Vm.Maps;

/// <summary>A sample from bpf_perf_event_output, or a count of samples lost because the buffer was full.</summary>
/// <param name="Cpu">The slot (CPU) the sample was sent to.</param>
/// <param name="RawSample">The data, zero-padded as the kernel pads PERF_SAMPLE_RAW (round_up(size + 4, 8) - 4 bytes); null for a lost record.</param>
/// <param name="LostSamples">For a lost record, how many samples were dropped before the next one.</param>
public readonly record struct VmPerfRecord(int Cpu, byte[]? RawSample, ulong LostSamples);

/// <summary>
/// One CPU's perf ring as the VM models it: a bounded byte budget of records (each costs its size in the kernel's
/// ring: an 8-byte perf_event_header, a u32 size, the padded data). When full, samples are dropped and counted; the
/// count is delivered as a lost record before the next sample that fits, as the kernel's PERF_RECORD_LOST.
/// </summary>
public sealed class VmPerfEventBuffer
{
    private const int LostRecordSize = 24;
    private readonly Queue<VmPerfRecord> _records = new();
    private readonly Lock _gate = new();
    private long _used;
    private ulong _lostPending;

    public VmPerfEventBuffer(int cpu, int capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBytes, 64);
        Cpu = cpu;
        Capacity = capacityBytes;
    }

    public int Cpu { get; }
    public int Capacity { get; }

    /// <summary>Signalled when a record arrives.</summary>
    internal SemaphoreSlim? Notify { get; set; }

    /// <summary>Appends a sample; false (and counted as lost) when it does not fit.</summary>
    public bool Write(ReadOnlySpan<byte> data)
    {
        int padded = ((data.Length + 4 + 7) & ~7) - 4;
        long cost = 8 + 4 + padded;
        lock (_gate)
        {
            long needed = cost + (_lostPending > 0 ? LostRecordSize : 0);
            if (_used + needed > Capacity)
            {
                _lostPending++;
                return false;
            }
            if (_lostPending > 0)
            {
                _records.Enqueue(new VmPerfRecord(Cpu, null, _lostPending));
                _used += LostRecordSize;
                _lostPending = 0;
            }
            var raw = new byte[padded];
            data.CopyTo(raw);
            _records.Enqueue(new VmPerfRecord(Cpu, raw, 0));
            _used += cost;
        }
        Signal();
        return true;
    }

    /// <summary>Hands every queued record to <paramref name="sink"/>, oldest first; returns how many.</summary>
    public int Drain(Action<VmPerfRecord> sink)
    {
        var taken = new List<VmPerfRecord>();
        lock (_gate)
        {
            while (_records.TryDequeue(out var r))
                taken.Add(r);
            _used = 0;
        }
        foreach (var r in taken)
            sink(r);
        return taken.Count;
    }

    private void Signal()
    {
        var n = Notify;
        if (n is null)
            return;
        try
        {
            if (n.CurrentCount == 0)
                n.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }
}
