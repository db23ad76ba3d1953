namespace SharpBpf.Vm;

/// <summary>
/// The ring buffer samples one run has reserved and not yet submitted or discarded: the only ring memory the program may
/// touch, and the only pointers bpf_ringbuf_submit/discard accept (as the kernel's verifier tracks them as references).
/// </summary>
internal sealed unsafe class RingReservations
{
    private struct Sample
    {
        public IVmRingBuffer Ring;
        public ulong Start;
        public long Length;
    }

    private Sample[] _samples = new Sample[4];
    private int _count;

    public byte* Reserve(IVmRingBuffer ring, ulong size, ulong flags)
    {
        byte* record = ring.Reserve(size, flags);
        if (record == null)
            return null;
        if (_count == _samples.Length)
            Array.Resize(ref _samples, _count * 2);
        _samples[_count++] = new Sample { Ring = ring, Start = (ulong)record, Length = (long)size };
        return record;
    }

    public bool Contains(ulong address, int size)
    {
        for (int i = 0; i < _count; i++)
        {
            ref var s = ref _samples[i];
            if (s.Length >= size && address - s.Start <= (ulong)(s.Length - size))
                return true;
        }
        return false;
    }

    /// <summary>False when <paramref name="record"/> is not the start of an open sample.</summary>
    public bool Commit(ulong record, ulong flags, bool discard)
    {
        for (int i = 0; i < _count; i++)
        {
            if (_samples[i].Start != record)
                continue;
            var ring = _samples[i].Ring;
            _samples[i] = _samples[--_count];
            _samples[_count] = default;
            if (discard)
                ring.Discard((byte*)record, flags);
            else
                ring.Submit((byte*)record, flags);
            return true;
        }
        return false;
    }

    /// <summary>Discards every open sample (a run that ended, or faulted, without releasing them).</summary>
    public void DiscardAll()
    {
        while (_count > 0)
        {
            ref var s = ref _samples[--_count];
            try
            {
                s.Ring.Discard((byte*)s.Start, 0);
            }
            catch (ObjectDisposedException)
            {
                // The engine went away during the run: nobody will read the ring.
            }
            s = default;
        }
    }
}
