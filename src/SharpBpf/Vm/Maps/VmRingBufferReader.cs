using System.Runtime.CompilerServices;

namespace SharpBpf.Vm.Maps;

/// <summary>Receives one ring buffer record; the span is only valid during the call.</summary>
public delegate void RingBufferCallback(ReadOnlySpan<byte> record);

/// <summary>
/// The consumer side of a <see cref="VmRingBuffer"/> (what libbpf's ring_buffer__poll does over the mmap'ed
/// ring): hands out submitted records in order, skips discarded ones, stops at the first record still reserved,
/// and advances the consumer position so producers regain the space. One reader per ring at a time.
/// </summary>
public sealed unsafe class VmRingBufferReader
{
    private readonly VmRingBuffer _ring;

    public VmRingBufferReader(IVmRingBuffer ring)
    {
        _ring = ring as VmRingBuffer ?? throw new ArgumentException("not a VM ring buffer", nameof(ring));
    }

    /// <summary>Bytes produced but not consumed yet (including reserved and discarded records).</summary>
    public long AvailableBytes => (long)_ring.Query(0);

    /// <summary>Consumes every record ready now; returns how many were delivered (discarded ones are not counted).</summary>
    public int Poll(RingBufferCallback callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        int delivered = TryPoll(callback);
        return delivered >= 0 ? delivered : throw new ObjectDisposedException($"VM ring buffer '{_ring.Name}'");
    }

    /// <summary>As <see cref="Poll"/>, but -1 once the ring is disposed.</summary>
    private int TryPoll(RingBufferCallback callback)
    {
        if (!_ring.EnterRead())
            return -1;
        try
        {
            int delivered = 0;
            long consumer = _ring.ConsumerPosition;
            long mask = _ring.Size - 1;
            long producer;
            while (consumer < (producer = _ring.ProducerPosition))
            {
                byte* header = _ring.Data + (consumer & mask);
                uint length = Volatile.Read(ref *(uint*)header);
                if ((length & VmRingBuffer.BusyBit) != 0)
                    break;
                bool discarded = (length & VmRingBuffer.DiscardBit) != 0;
                length &= ~(VmRingBuffer.BusyBit | VmRingBuffer.DiscardBit);
                // Never trust a header: a record cannot extend past what the producer has handed out.
                if (length > producer - consumer - VmRingBuffer.HeaderSize)
                    throw new BpfException($"ring buffer '{_ring.Name}': the record at position {consumer} claims {length} bytes, " +
                        $"more than the {producer - consumer - VmRingBuffer.HeaderSize} produced (corrupt ring)");
                if (!discarded)
                {
                    callback(new ReadOnlySpan<byte>(header + VmRingBuffer.HeaderSize, (int)length));
                    delivered++;
                }
                consumer += (length + VmRingBuffer.HeaderSize + 7) & ~7L;
                _ring.ConsumerPosition = consumer;
            }
            return delivered;
        }
        finally
        {
            _ring.ExitRead();
        }
    }

    /// <summary>Records as they are submitted (copied out), until cancelled or the ring is disposed.</summary>
    public async IAsyncEnumerable<byte[]> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var batch = new List<byte[]>();
        while (!cancellationToken.IsCancellationRequested)
        {
            batch.Clear();
            if (TryPoll(r => batch.Add(r.ToArray())) < 0)
                yield break;
            foreach (var record in batch)
                yield return record;
            if (batch.Count == 0)
            {
                // Wake-ups can be suppressed (BPF_RB_NO_WAKEUP), so also look again periodically.
                try
                {
                    await _ring.DataReady.WaitAsync(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }
            }
        }
    }
}
