using SharpBpf.Native;
using System.Runtime.InteropServices;
using SharpBpf.Events;

namespace SharpBpf.Linux.Events;

/// <summary>
/// Reads a kernel BPF_MAP_TYPE_RINGBUF map: the consumer page is mapped read-write, the producer page and the data
/// pages read-only, the data twice in a row (as the kernel maps it) so a record that wraps around the end is still
/// contiguous. Records are copied into the caller's buffer, in order; discarded ones are skipped. Waiting is done by
/// the shared <see cref="EpollLoop"/>.
/// </summary>
public sealed unsafe class RingBufferReader : BpfEventReader
{
    private const uint BusyBit = 1u << 31, DiscardBit = 1u << 30;
    private const int HeaderSize = 8;

    private readonly BpfFd _mapFd;
    private readonly nint _consumer;
    private readonly nint _producer;
    private readonly int _pageSize = Environment.SystemPageSize;
    private readonly long _mask;
    private readonly long _producerLength;
    private readonly EpollWatch _watch;

    /// <summary>Opens a reader on a ring buffer map (its descriptor is duplicated: the map may be disposed first).</summary>
    public RingBufferReader(KernelMap map) : this(map.Fd, map.Name) { }

    /// <summary>Opens a reader on the ring buffer map behind <paramref name="map"/> (the handle is duplicated, not taken).</summary>
    public RingBufferReader(BpfFd map) : this(map, null) { }

    private RingBufferReader(BpfFd map, string? name) : this(OpenMap(map, out var info), info, name ?? info.Name) { }

    private RingBufferReader(BpfFd mapFd, MapInfo info, string name) : base(name, BpfEventSource.RingBuffer)
    {
        _mapFd = mapFd;
        try
        {
            if (info.Type != BpfMapType.Ringbuf)
                throw new ArgumentException($"map '{name}' is a {info.Type} map, not a ring buffer (BPF_MAP_TYPE_RINGBUF)", "map");
            Size = (int)info.MaxEntries;
            _mask = Size - 1;
            _consumer = Map(_pageSize, LibC.PROT_READ | LibC.PROT_WRITE, 0, "consumer page");
            _producerLength = _pageSize + 2L * Size;
            try
            {
                _producer = Map((nint)_producerLength, LibC.PROT_READ, _pageSize, "data pages");
            }
            catch
            {
                LibC.munmap(_consumer, _pageSize);
                throw;
            }
            try
            {
                _watch = new EpollWatch(_mapFd.Value, SignalReady);
            }
            catch
            {
                LibC.munmap(_producer, (nint)_producerLength);
                LibC.munmap(_consumer, _pageSize);
                throw;
            }
        }
        catch
        {
            _mapFd.Dispose();
            throw;
        }
    }

    private static BpfFd OpenMap(BpfFd map, out MapInfo info)
    {
        var fd = map.Duplicate();
        try
        {
            info = KernelObjectInfo.GetMapInfo(fd);
            return fd;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    private nint Map(nint length, int protection, long offset, string what)
    {
        var at = LibC.mmap(0, length, protection, LibC.MAP_SHARED, _mapFd.Value, offset);
        return at != -1 ? at : throw new BpfEventException($"mmap ring buffer '{MapName}' {what}", Marshal.GetLastPInvokeError(),
            "raise the locked-memory limit (MemoryLimits) or run as root");
    }

    /// <summary>The memory this reader has mapped (for leak checks).</summary>
    internal (nint Start, long Length)[] Mappings => [(_consumer, _pageSize), (_producer, _producerLength)];

    /// <summary>The ring's data size in bytes (the map's max_entries).</summary>
    public int Size { get; }

    /// <summary>Bytes written by producers and not yet consumed.</summary>
    public long Pending => Locked(() => Volatile.Read(ref *(long*)_producer) - Volatile.Read(ref *(long*)_consumer));

    private protected override bool ReadCore(Span<byte> buffer, out BpfEventRecord record, out int required)
    {
        record = default;
        required = 0;
        var data = (byte*)_producer + _pageSize;
        var consumerPos = Volatile.Read(ref *(long*)_consumer);
        while (consumerPos < Volatile.Read(ref *(long*)_producer))
        {
            var header = data + (consumerPos & _mask);
            var len = Volatile.Read(ref *(uint*)header);
            if ((len & BusyBit) != 0)
                return false;  // reserved, not committed yet: its commit wakes us
            var size = (int)(len & ~(BusyBit | DiscardBit));
            var next = consumerPos + ((HeaderSize + size + 7) & ~7);
            if ((len & DiscardBit) == 0)
            {
                if (size > buffer.Length)
                {
                    required = size;
                    return false;
                }
                new ReadOnlySpan<byte>(header + HeaderSize, size).CopyTo(buffer);
                record = new BpfEventRecord(size, -1, 0);
                Volatile.Write(ref *(long*)_consumer, next);
                return true;
            }
            consumerPos = next;
            Volatile.Write(ref *(long*)_consumer, consumerPos);
        }
        return false;
    }

    private protected override void ArmCore() => _watch.Arm();

    private protected override void ReleaseCore()
    {
        _watch.Remove();
        LibC.munmap(_producer, (nint)_producerLength);
        LibC.munmap(_consumer, _pageSize);
        _mapFd.Dispose();
    }
}
