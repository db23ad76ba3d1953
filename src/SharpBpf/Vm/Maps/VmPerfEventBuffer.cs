using SharpBpf.Events;

namespace SharpBpf.Vm.Maps;

/// <summary>
/// One CPU's perf ring as the VM models it: a byte ring laid out as the kernel's (perf_event_header, u32 size, the
/// raw data zero-padded to round_up(size + 4, 8) - 4 bytes), read by the same parser as the kernel's rings. When
/// full, samples are dropped and counted; the count is written as a PERF_RECORD_LOST before the next sample that fits.
/// </summary>
public sealed unsafe class VmPerfEventBuffer
{
    /// <summary>The largest sample a record's u16 size can describe.</summary>
    public const int MaxSampleSize = ushort.MaxValue - PerfRingRecords.SampleHeaderSize - 7;

    private readonly byte[] _ring;
    private readonly Lock _gate = new();
    private long _head;
    private long _tail;
    private ulong _lostPending;

    public VmPerfEventBuffer(int cpu, int capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBytes, 64);
        Cpu = cpu;
        Capacity = capacityBytes & ~7;  // whole records only: a header never straddles the end
        _ring = new byte[Capacity];
    }

    public int Cpu { get; }
    public int Capacity { get; }

    /// <summary>Called (outside the buffer's lock) when a record arrives.</summary>
    internal Action? Notify { get; set; }

    /// <summary>Appends a sample; false (and counted as lost) when it does not fit.</summary>
    public bool Write(ReadOnlySpan<byte> data)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(data.Length, MaxSampleSize, nameof(data));
        int padded = ((data.Length + 4 + 7) & ~7) - 4;
        int cost = PerfRingRecords.SampleHeaderSize + padded;
        Span<byte> header = stackalloc byte[PerfRingRecords.LostRecordSize];
        lock (_gate)
        {
            long needed = cost + (_lostPending > 0 ? PerfRingRecords.LostRecordSize : 0);
            if (_head - _tail + needed > Capacity)
            {
                _lostPending++;
                return false;
            }
            fixed (byte* ring = _ring)
            {
                if (_lostPending > 0)
                {
                    header.Clear();
                    WriteHeader(header, PerfRingRecords.RecordLost, PerfRingRecords.LostRecordSize);
                    BitConverter.TryWriteBytes(header[16..], _lostPending);
                    Append(ring, header);
                    _lostPending = 0;
                }
                WriteHeader(header, PerfRingRecords.RecordSample, cost);
                BitConverter.TryWriteBytes(header[8..], (uint)padded);
                Append(ring, header[..PerfRingRecords.SampleHeaderSize]);
                Append(ring, data);
                header.Clear();
                Append(ring, header[..(padded - data.Length)]);
            }
        }
        Notify?.Invoke();
        return true;
    }

    private static void WriteHeader(Span<byte> header, uint type, int size)
    {
        BitConverter.TryWriteBytes(header, type);
        BitConverter.TryWriteBytes(header[4..], (ushort)0);
        BitConverter.TryWriteBytes(header[6..], (ushort)size);
    }

    private void Append(byte* ring, ReadOnlySpan<byte> bytes)
    {
        PerfRingRecords.CopyIn(ring, Capacity, _head, bytes);
        _head += bytes.Length;
    }

    /// <summary>Copies the oldest record into <paramref name="destination"/>, as a kernel perf ring is read.</summary>
    internal bool TryRead(Span<byte> destination, out BpfEventRecord record, out int required)
    {
        lock (_gate)
        {
            fixed (byte* ring = _ring)
                return PerfRingRecords.TryRead(ring, Capacity, _head, ref _tail, Cpu, destination, out record, out required);
        }
    }
}
