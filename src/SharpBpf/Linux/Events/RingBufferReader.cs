using SharpBpf.Native;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharpBpf.Linux.Attach;

namespace SharpBpf.Linux.Events;

/// <summary>Receives one ring buffer record; the span points into the shared ring and is valid only during the call.</summary>
public delegate void RingBufferCallback(ReadOnlySpan<byte> record);

/// <summary>
/// Reads a BPF_MAP_TYPE_RINGBUF map from user space without copying: the consumer page is mapped read-write, the
/// producer page and the data pages read-only, the data twice in a row (as the kernel maps it) so a record that
/// wraps is still contiguous. Records still being written (busy bit) end a pass; discarded ones are skipped.
/// Thread-safe for one consumer at a time; <see cref="Dispose"/> may be called from any thread, even mid-wait.
/// </summary>
public sealed unsafe class RingBufferReader : IDisposable
{
    private const uint BusyBit = 1u << 31, DiscardBit = 1u << 30;
    private const int HeaderSize = 8;

    private readonly object _gate = new();
    private readonly BpfFd _mapFd;
    private readonly EventWaiter _waiter;
    private readonly nint _consumer;
    private readonly nint _producer;
    private readonly int _pageSize;
    private readonly long _mask;
    private readonly long _producerLength;
    private volatile bool _disposed;
    private bool _released;

    /// <summary>Opens a reader on a ring buffer map (its descriptor is duplicated: the map may be disposed first).</summary>
    public RingBufferReader(KernelMap map) : this(map.Fd) { }

    /// <summary>Opens a reader on the ring buffer map behind <paramref name="map"/> (the handle is duplicated, not taken).</summary>
    public RingBufferReader(BpfFd map)
    {
        _mapFd = map.Duplicate();
        try
        {
            var info = KernelObjectInfo.GetMapInfo(_mapFd);
            if (info.Type != BpfMapType.Ringbuf)
                throw new BpfHookSpecException($"map '{info.Name}' is a {info.Type} map, not a ring buffer (BPF_MAP_TYPE_RINGBUF)");
            Size = info.MaxEntries;
            MapName = info.Name;
            _pageSize = LibC.getpagesize();
            _mask = Size - 1;
            _consumer = LibC.mmap(0, _pageSize, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, _mapFd.Value, 0);
            if (_consumer == -1)
                throw new BpfAttachException($"mmap ring buffer '{MapName}' consumer page", LibC.LastErrno);
            _producerLength = _pageSize + 2L * Size;
            _producer = LibC.mmap(0, (nint)_producerLength, LibC.PROT_READ, LibC.MAP_SHARED, _mapFd.Value, _pageSize);
            if (_producer == -1)
            {
                var errno = LibC.LastErrno;
                LibC.munmap(_consumer, _pageSize);
                throw new BpfAttachException($"mmap ring buffer '{MapName}' data pages", errno);
            }
            _waiter = new EventWaiter();
            _waiter.Add(_mapFd.Value, 0);
        }
        catch
        {
            _mapFd.Dispose();
            throw;
        }
    }

    /// <summary>The memory this reader has mapped (for leak checks).</summary>
    internal (nint Start, long Length)[] Mappings => [(_consumer, _pageSize), (_producer, _producerLength)];

    /// <summary>The ring's data size in bytes (the map's max_entries).</summary>
    public int Size { get; }

    public string MapName { get; }

    /// <summary>Bytes written by producers and not yet consumed.</summary>
    public long Pending
    {
        get
        {
            lock (_gate)
            {
                ThrowIfDisposed();
                return Volatile.Read(ref *(long*)_producer) - Volatile.Read(ref *(long*)_consumer);
            }
        }
    }

    /// <summary>Hands every complete record to <paramref name="callback"/> without waiting; returns how many it handed.</summary>
    public int Consume(RingBufferCallback callback)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            try
            {
                return ConsumeLocked(callback);
            }
            finally
            {
                ReleaseIfDisposed();
            }
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> (<see cref="Timeout.InfiniteTimeSpan"/> for ever) for records, then consumes
    /// them. Returns the number of records handed to <paramref name="callback"/>: 0 on timeout, cancellation or dispose.
    /// </summary>
    public int Poll(TimeSpan timeout, RingBufferCallback callback, CancellationToken cancellationToken = default)
    {
        using var registration = cancellationToken.CanBeCanceled ? cancellationToken.Register(_waiter.Wake) : default;
        lock (_gate)
        {
            ThrowIfDisposed();
            try
            {
                var count = ConsumeLocked(callback);
                if (count > 0 || timeout == TimeSpan.Zero)
                    return count;
                var ms = timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Min(int.MaxValue, Math.Ceiling(timeout.TotalMilliseconds));
                if (cancellationToken.IsCancellationRequested || _disposed)
                    return 0;
                _waiter.Wait(ms);
                return _disposed ? 0 : ConsumeLocked(callback);
            }
            finally
            {
                ReleaseIfDisposed();
            }
        }
    }

    /// <summary>Every record as a copied array, until cancelled or disposed (then the enumeration simply ends).</summary>
    public async IAsyncEnumerable<byte[]> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var batch = new List<byte[]>();
        while (!cancellationToken.IsCancellationRequested && !_disposed)
        {
            batch.Clear();
            try
            {
                await Task.Run(() => Poll(Timeout.InfiniteTimeSpan, r => batch.Add(r.ToArray()), cancellationToken), CancellationToken.None)
                    .ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                yield break;
            }
            foreach (var record in batch)
                yield return record;
        }
    }

    private int ConsumeLocked(RingBufferCallback callback)
    {
        var count = 0;
        var data = (byte*)_producer + _pageSize;
        var consumerPos = Volatile.Read(ref *(long*)_consumer);
        while (true)
        {
            var producerPos = Volatile.Read(ref *(long*)_producer);
            if (consumerPos >= producerPos)
                break;
            while (consumerPos < producerPos)
            {
                var header = data + (consumerPos & _mask);
                var len = Volatile.Read(ref *(uint*)header);
                if ((len & BusyBit) != 0)
                    return count;  // a producer has reserved but not committed this one yet
                var size = (int)(len & ~(BusyBit | DiscardBit));
                consumerPos += (HeaderSize + size + 7) & ~7;
                if ((len & DiscardBit) == 0)
                {
                    count++;
                    try
                    {
                        callback(new ReadOnlySpan<byte>(header + HeaderSize, size));
                    }
                    finally
                    {
                        Volatile.Write(ref *(long*)_consumer, consumerPos);
                    }
                    if (_disposed)
                        return count;
                }
                else
                    Volatile.Write(ref *(long*)_consumer, consumerPos);
            }
        }
        return count;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private void ReleaseIfDisposed()
    {
        if (!_disposed || _released)
            return;
        _released = true;
        LibC.munmap(_producer, (nint)_producerLength);
        LibC.munmap(_consumer, _pageSize);
        _waiter.Dispose();
        _mapFd.Dispose();
    }

    /// <summary>Unmaps the ring and closes its descriptors; a wait in progress on another thread returns first.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _waiter.Wake();
        if (Monitor.IsEntered(_gate))
            return;  // called from a callback: the Poll/Consume on this thread releases on its way out
        lock (_gate)
            ReleaseIfDisposed();
    }
}
