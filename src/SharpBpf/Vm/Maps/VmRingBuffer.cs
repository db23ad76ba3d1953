using SharpBpf.Objects;

namespace SharpBpf.Vm.Maps;

/// <summary>
/// RINGBUF with the kernel's record layout: each record is an 8-byte header (u32 length with
/// <see cref="BusyBit"/> while reserved and <see cref="DiscardBit"/> when discarded, u32 page offset) followed by
/// the data, the whole rounded up to 8 bytes. Producer and consumer positions only grow; a record lives at
/// position &amp; (size - 1). The data area is allocated at twice the ring size so a record that wraps past the end
/// stays contiguous (the kernel maps the data pages twice for the same effect). Producers (programs) serialise on
/// the map lock; the single consumer (<see cref="VmRingBufferReader"/>) is lock-free, as in the kernel.
/// </summary>
public sealed unsafe class VmRingBuffer : VmMap, IVmRingBuffer
{
    /// <summary>Set in a record's length while the producer still owns it.</summary>
    public const uint BusyBit = 1u << 31;
    /// <summary>Set in a record's length when the producer discarded it; readers skip it.</summary>
    public const uint DiscardBit = 1u << 30;
    /// <summary>The size of a record header.</summary>
    public const int HeaderSize = 8;

    private const ulong NoWakeup = 1, ForceWakeup = 2;
    private const ulong MaxRecordSize = uint.MaxValue >> 2;

    private readonly NativeBlock _data;
    private long _producerPos;
    private long _consumerPos;
    private int _activeReaders;
    private bool _freePending;

    internal VmRingBuffer(MapSpec spec) : base(spec, 1)
    {
        Size = MaxEntries;
        _data = new NativeBlock(2L * Size);
        // No region: a program reaches only the samples it reserved (VmCallContext tracks them), never headers or other samples.
    }

    /// <summary>The ring's data size in bytes (max_entries).</summary>
    public int Size { get; }

    internal byte* Data => _data.Start;
    internal long ProducerPosition => Volatile.Read(ref _producerPos);
    internal long ConsumerPosition
    {
        get => Volatile.Read(ref _consumerPos);
        set => Volatile.Write(ref _consumerPos, value);
    }

    /// <summary>Raised when a record was submitted or discarded with a wake-up (not under BPF_RB_NO_WAKEUP), and on dispose.</summary>
    internal event Action? DataReady;

    public byte* Reserve(ulong size, ulong flags)
    {
        if (flags != 0 || size > MaxRecordSize)
            return null;
        long length = (long)((size + HeaderSize + 7) & ~7UL);
        if (length > Size)
            return null;
        lock (Gate)
        {
            ThrowIfDisposed();
            long producer = _producerPos;
            // As the kernel: the producer may run at most size - 1 bytes ahead of the consumer, so the ring is never full.
            if (producer + length - ConsumerPosition > Size - 1)
                return null;
            byte* header = _data.Start + (producer & (Size - 1));
            ((uint*)header)[1] = (uint)((header - _data.Start) >> 12);
            Volatile.Write(ref *(uint*)header, (uint)size | BusyBit);
            Volatile.Write(ref _producerPos, producer + length);
            return header + HeaderSize;
        }
    }

    public void Submit(byte* record, ulong flags) => Commit(record, flags, discard: false);

    public void Discard(byte* record, ulong flags) => Commit(record, flags, discard: true);

    private void Commit(byte* record, ulong flags, bool discard)
    {
        ThrowIfDisposed();
        uint* header = (uint*)(record - HeaderSize);
        uint length = Volatile.Read(ref *header) & ~(BusyBit | DiscardBit);
        Volatile.Write(ref *header, discard ? length | DiscardBit : length);
        if ((flags & NoWakeup) == 0 || (flags & ForceWakeup) != 0)
            Wake();
    }

    public long Output(byte* data, ulong size, ulong flags)
    {
        if ((flags & ~(NoWakeup | ForceWakeup)) != 0)
            return -Errno.EINVAL;
        byte* record = Reserve(size, 0);
        if (record is null)
            return -Errno.EAGAIN;
        Buffer.MemoryCopy(data, record, (long)size, (long)size);
        Submit(record, flags);
        return 0;
    }

    public ulong Query(ulong flags) => flags switch
    {
        0 => (ulong)(ProducerPosition - ConsumerPosition), // BPF_RB_AVAIL_DATA
        1 => (ulong)Size,                                   // BPF_RB_RING_SIZE
        2 => (ulong)ConsumerPosition,                       // BPF_RB_CONS_POS
        3 => (ulong)ProducerPosition,                       // BPF_RB_PROD_POS
        _ => 0,
    };

    private void Wake() => DataReady?.Invoke();

    /// <summary>Pins the storage for a reader; false once disposed.</summary>
    internal bool EnterRead()
    {
        lock (Gate)
        {
            if (IsDisposed)
                return false;
            _activeReaders++;
            return true;
        }
    }

    internal void ExitRead()
    {
        lock (Gate)
        {
            if (--_activeReaders == 0 && _freePending)
                _data.Dispose();
        }
    }

    // User space cannot read or write a ring buffer through the map commands (the kernel's -ENOTSUPP).
    protected override int LookupCore(ReadOnlySpan<byte> key, Span<byte> value) => Errno.ENOTSUPP;
    protected override int UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags) => Errno.ENOTSUPP;
    protected override int DeleteCore(ReadOnlySpan<byte> key) => Errno.ENOTSUPP;
    protected override int NextKeyCore(ReadOnlySpan<byte> key, Span<byte> nextKey) => Errno.ENOTSUPP;

    protected override void ReleaseStorage()
    {
        Wake();
        if (_activeReaders > 0)
            _freePending = true;
        else
            _data.Dispose();
    }
}
