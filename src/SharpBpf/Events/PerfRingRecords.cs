namespace SharpBpf.Events;

/// <summary>
/// The records of one perf ring (the kernel's mmap'ed data pages, or a VM perf buffer laid out the same way): 8-byte
/// aligned, each starting with perf_event_header (u32 type, u16 misc, u16 size); PERF_RECORD_SAMPLE carries a u32 raw
/// size and the raw bytes, PERF_RECORD_LOST an id and a u64 count. Positions only grow; a record lives at
/// position % size and its data may run past the end of the ring into its start.
/// </summary>
internal static unsafe class PerfRingRecords
{
    public const uint RecordLost = 2, RecordSample = 9;
    public const int HeaderSize = 8, SampleHeaderSize = 12, LostRecordSize = 24;

    /// <summary>
    /// Copies the first sample or lost record in [<paramref name="tail"/>, <paramref name="head"/>) into
    /// <paramref name="destination"/> and moves <paramref name="tail"/> past it (and past any record of another type).
    /// False when there is none, or when the sample needs <paramref name="required"/> bytes (tail left on it).
    /// </summary>
    public static bool TryRead(byte* ring, long size, long head, ref long tail, int cpu, Span<byte> destination,
        out BpfEventRecord record, out int required)
    {
        record = default;
        required = 0;
        while (tail < head)
        {
            var at = tail % size;
            var type = *(uint*)(ring + at);  // a header never straddles the end: records and the ring are 8-byte multiples
            var recordSize = *(ushort*)(ring + at + 6);
            if (recordSize < HeaderSize || recordSize > head - tail)
                throw new BpfException($"corrupt perf ring of CPU {cpu}: a record of {recordSize} bytes at position {tail}, {head - tail} bytes written");
            if (type == RecordSample && recordSize >= SampleHeaderSize)
            {
                var rawSize = (int)Math.Min(*(uint*)(ring + (tail + HeaderSize) % size), (uint)(recordSize - SampleHeaderSize));
                if (rawSize > destination.Length)
                {
                    required = rawSize;
                    return false;
                }
                CopyOut(ring, size, tail + SampleHeaderSize, destination[..rawSize]);
                record = new BpfEventRecord(rawSize, cpu, 0);
                tail += recordSize;
                return true;
            }
            tail += recordSize;
            if (type == RecordLost && recordSize >= LostRecordSize)
            {
                record = new BpfEventRecord(0, cpu, *(ulong*)(ring + (tail - recordSize + 16) % size));
                return true;
            }
        }
        return false;
    }

    /// <summary>Copies <paramref name="destination"/>.Length bytes from ring position <paramref name="from"/>, wrapping at the end.</summary>
    public static void CopyOut(byte* ring, long size, long from, Span<byte> destination)
    {
        var at = from % size;
        var first = (int)Math.Min(destination.Length, size - at);
        new ReadOnlySpan<byte>(ring + at, first).CopyTo(destination);
        new ReadOnlySpan<byte>(ring, destination.Length - first).CopyTo(destination[first..]);
    }

    /// <summary>Copies <paramref name="source"/> to ring position <paramref name="to"/>, wrapping at the end.</summary>
    public static void CopyIn(byte* ring, long size, long to, ReadOnlySpan<byte> source)
    {
        var at = to % size;
        var first = (int)Math.Min(source.Length, size - at);
        source[..first].CopyTo(new Span<byte>(ring + at, first));
        source[first..].CopyTo(new Span<byte>(ring, source.Length - first));
    }
}
