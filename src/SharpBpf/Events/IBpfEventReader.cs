namespace SharpBpf.Events;

/// <summary>The kind of map an <see cref="IBpfEventReader"/> drains.</summary>
public enum BpfEventSource
{
    /// <summary>BPF_MAP_TYPE_RINGBUF: one ring shared by all CPUs, records in submission order, no CPU, no lost count.</summary>
    RingBuffer,

    /// <summary>BPF_MAP_TYPE_PERF_EVENT_ARRAY: one ring per CPU; full rings drop samples and report how many.</summary>
    PerfBuffer,
}

/// <summary>
/// Reads the records BPF programs send to user space through a ring buffer or a perf buffer, the same way on the
/// kernel (<c>SharpBpf.Linux.Events.RingBufferReader</c>, <c>PerfEventReader</c>) and on the VM
/// (<c>SharpBpf.Vm.Maps.VmRingBufferReader</c>, <c>VmPerfEventReader</c>). Records are copied into a buffer the caller
/// owns; waiting ties up no thread. Dispose from any thread: a read waiting at that moment throws
/// <see cref="ObjectDisposedException"/>.
/// </summary>
public interface IBpfEventReader : IDisposable
{
    /// <summary>The map's name.</summary>
    string MapName { get; }

    /// <summary>Ring buffer or perf buffer.</summary>
    BpfEventSource Source { get; }

    /// <summary>Samples dropped so far because a perf ring was full (the sum of the lost records read); 0 for ring buffers.</summary>
    long LostSamples { get; }

    /// <summary>
    /// Copies the next record into <paramref name="buffer"/> without waiting. False when nothing is ready. Throws
    /// <see cref="BpfEventBufferTooSmallException"/> (the record stays unread) when the record does not fit.
    /// </summary>
    bool TryRead(Span<byte> buffer, out BpfEventRecord record);

    /// <summary>
    /// Waits for the next record and copies it into <paramref name="buffer"/>; completes synchronously when one is ready.
    /// Cancellation throws <see cref="OperationCanceledException"/>, Dispose <see cref="ObjectDisposedException"/>.
    /// </summary>
    ValueTask<BpfEventRecord> ReadIntoAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every record as it arrives, in a pooled buffer that grows as needed: an event's <see cref="BpfEvent.Data"/> is
    /// valid until the enumeration moves on (copy it to keep it). Ends by throwing <see cref="OperationCanceledException"/>.
    /// </summary>
    IAsyncEnumerable<BpfEvent> ReadAllAsync(CancellationToken cancellationToken = default);
}
