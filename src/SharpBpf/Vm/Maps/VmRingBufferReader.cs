using SharpBpf.Events;

namespace SharpBpf.Vm.Maps;

/// <summary>
/// The consumer side of a <see cref="VmRingBuffer"/> (what libbpf's ring_buffer__poll does over the mmap'ed
/// ring): hands out submitted records in order, skips discarded ones, stops at the first record still reserved,
/// and advances the consumer position so producers regain the space. A program's submit wakes a waiting read (unless
/// it asked for BPF_RB_NO_WAKEUP, as in the kernel). One reader per ring at a time.
/// </summary>
public sealed unsafe class VmRingBufferReader : BpfEventReader
{
    private readonly VmRingBuffer _ring;

    /// <summary>Reads <paramref name="ring"/> (a ring buffer map of a <see cref="VmEngine"/>) from its current consumer position.</summary>
    public VmRingBufferReader(IVmRingBuffer ring) : base(ring.Name, BpfEventSource.RingBuffer)
    {
        _ring = ring as VmRingBuffer ?? throw new ArgumentException("not a VM ring buffer", nameof(ring));
        _ring.DataReady += SignalReady;
    }

    /// <summary>Bytes produced but not consumed yet (including reserved and discarded records).</summary>
    public long AvailableBytes => (long)_ring.Query(0);

    private protected override bool ReadCore(Span<byte> buffer, out BpfEventRecord record, out int required)
    {
        record = default;
        required = 0;
        if (!_ring.EnterRead())
            throw new ObjectDisposedException($"VM ring buffer '{_ring.Name}'");
        try
        {
            long consumer = _ring.ConsumerPosition;
            long mask = _ring.Size - 1;
            long producer;
            while (consumer < (producer = _ring.ProducerPosition))
            {
                byte* header = _ring.Data + (consumer & mask);
                uint length = Volatile.Read(ref *(uint*)header);
                if ((length & VmRingBuffer.BusyBit) != 0)
                    return false;
                bool discarded = (length & VmRingBuffer.DiscardBit) != 0;
                length &= ~(VmRingBuffer.BusyBit | VmRingBuffer.DiscardBit);
                // Never trust a header: a record cannot extend past what the producer has handed out.
                if (length > producer - consumer - VmRingBuffer.HeaderSize)
                    throw new BpfException($"ring buffer '{_ring.Name}': the record at position {consumer} claims {length} bytes, " +
                        $"more than the {producer - consumer - VmRingBuffer.HeaderSize} produced (corrupt ring)");
                if (!discarded && length > buffer.Length)
                {
                    required = (int)length;
                    return false;
                }
                if (!discarded)
                    new ReadOnlySpan<byte>(header + VmRingBuffer.HeaderSize, (int)length).CopyTo(buffer);
                consumer += (length + VmRingBuffer.HeaderSize + 7) & ~7L;
                _ring.ConsumerPosition = consumer;
                if (!discarded)
                {
                    record = new BpfEventRecord((int)length, -1, 0);
                    return true;
                }
            }
            return false;
        }
        finally
        {
            _ring.ExitRead();
        }
    }

    // Nothing to arm: every submit with a wake-up signals the reader.
    private protected override void ArmCore() { }

    private protected override void ReleaseCore() => _ring.DataReady -= SignalReady;
}
