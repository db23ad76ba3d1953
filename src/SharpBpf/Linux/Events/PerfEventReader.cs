using SharpBpf.Native;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharpBpf.Linux.Attach;

namespace SharpBpf.Linux.Events;

/// <summary>One sample from a perf buffer: the CPU it was written on and its raw bytes (valid only during the call).</summary>
public delegate void PerfSampleCallback(int cpu, ReadOnlySpan<byte> data);

/// <summary>
/// Reads a BPF_MAP_TYPE_PERF_EVENT_ARRAY: opens a PERF_COUNT_SW_BPF_OUTPUT event per online CPU, maps its ring,
/// stores the event fd in the map at the CPU's index, and parses PERF_RECORD_SAMPLE and PERF_RECORD_LOST records
/// (copying those that wrap around the ring's end). Dispose (from any thread) unmaps and closes everything.
/// </summary>
public sealed unsafe class PerfEventReader : IDisposable
{
    private const uint PERF_RECORD_LOST = 2, PERF_RECORD_SAMPLE = 9;
    private const int DataHeadOffset = 1024, DataTailOffset = 1032, DataOffsetOffset = 1040, DataSizeOffset = 1048;

    private readonly object _gate = new();
    private readonly KernelMap? _map;
    private readonly EventWaiter _waiter = new();
    private readonly List<CpuRing> _rings = [];
    private readonly int _pageSize = LibC.getpagesize();
    private byte[] _wrapBuffer = new byte[256];
    private volatile bool _disposed;
    private bool _released;
    private long _lost;

    private sealed class CpuRing
    {
        public required int Cpu;
        public required BpfFd Fd;
        public required nint Base;
        public required nint Length;
        public required long DataOffset;
        public required long DataSize;
    }

    /// <summary>Sets up the per-CPU rings for <paramref name="map"/>.</summary>
    /// <param name="pagesPerCpu">data pages per CPU ring; a power of two.</param>
    /// <param name="wakeupEvents">samples per wake-up (1: every sample wakes the reader).</param>
    public PerfEventReader(KernelMap map, int pagesPerCpu = 8, uint wakeupEvents = 1) : this(map.Fd, pagesPerCpu, wakeupEvents) { }

    /// <summary>Sets up the per-CPU rings for the map behind <paramref name="map"/> (the descriptor is duplicated, not taken).</summary>
    public PerfEventReader(BpfFd map, int pagesPerCpu = 8, uint wakeupEvents = 1)
    {
        if (pagesPerCpu <= 0 || (pagesPerCpu & (pagesPerCpu - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(pagesPerCpu), pagesPerCpu, "must be a power of two");
        try
        {
            _map = KernelMap.FromFd(map.Duplicate());
            var info = _map.Info;
            if (info.Type != BpfMapType.PerfEventArray)
                throw new BpfHookSpecException($"map '{info.Name}' is a {info.Type} map, not a BPF_MAP_TYPE_PERF_EVENT_ARRAY");
            MapName = info.Name;
            foreach (var cpu in Cpus.Online())
            {
                if (cpu >= info.MaxEntries)
                    continue;  // the map has no slot for it: the program cannot write there either
                OpenRing(cpu, pagesPerCpu, wakeupEvents);
            }
            if (_rings.Count == 0)
                throw new BpfHookSpecException($"perf event array '{MapName}' has {info.MaxEntries} slots, no online CPU fits");
        }
        catch
        {
            _disposed = true;
            ReleaseIfDisposed();
            throw;
        }
    }

    public string MapName { get; } = "";

    /// <summary>The memory this reader has mapped (for leak checks).</summary>
    internal (nint Start, long Length)[] Mappings => _rings.Select(r => (r.Base, (long)r.Length)).ToArray();

    /// <summary>The CPUs with a ring.</summary>
    public IReadOnlyList<int> RingCpus => _rings.Select(r => r.Cpu).ToArray();

    /// <summary>Samples the kernel dropped because a ring was full (sum of PERF_RECORD_LOST counts seen).</summary>
    public long LostSamples => Interlocked.Read(ref _lost);

    private void OpenRing(int cpu, int pages, uint wakeupEvents)
    {
        var attr = new PerfEvent.Attr(PerfEvent.PERF_TYPE_SOFTWARE, PerfEvent.PERF_COUNT_SW_BPF_OUTPUT,
            SampleType: PerfEvent.PERF_SAMPLE_RAW, SamplePeriod: 1, WakeupEvents: wakeupEvents);
        var fd = PerfEvent.Open(attr, -1, cpu, $"BPF output event on CPU {cpu}");
        var length = (nint)(_pageSize * (1L + pages));
        var mem = LibC.mmap(0, length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd.Value, 0);
        if (mem == -1)
        {
            var errno = LibC.LastErrno;
            fd.Dispose();
            throw new BpfAttachException($"mmap perf ring of CPU {cpu}", errno, errno == Errno.EPERM ? "raise the locked-memory limit or kernel.perf_event_mlock_kb" : null);
        }
        var dataOffset = *(long*)(mem + DataOffsetOffset);
        var dataSize = *(long*)(mem + DataSizeOffset);
        var ring = new CpuRing
        {
            Cpu = cpu, Fd = fd, Base = mem, Length = length,
            DataOffset = dataOffset != 0 ? dataOffset : _pageSize,
            DataSize = dataSize != 0 ? dataSize : (long)_pageSize * pages,
        };
        _rings.Add(ring);  // from here a failed constructor releases it
        Span<byte> key = stackalloc byte[4], value = stackalloc byte[4];
        BitConverter.TryWriteBytes(key, cpu);
        BitConverter.TryWriteBytes(value, fd.Value);
        _map!.Update(key, value);
        SyscallChecks.Check(LibC.ioctl(fd.Value, PerfEvent.PERF_EVENT_IOC_ENABLE, 0), $"PERF_EVENT_IOC_ENABLE (CPU {cpu})");
        _waiter.Add(fd.Value, (ulong)cpu);
    }

    /// <summary>Reads every pending record of every CPU without waiting; returns the number of samples.</summary>
    public int Consume(PerfSampleCallback onSample, Action<int, ulong>? onLost = null)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                var n = 0;
                foreach (var ring in _rings)
                    n += Drain(ring, onSample, onLost);
                return n;
            }
            finally
            {
                ReleaseIfDisposed();
            }
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for samples, then reads them all; 0 on timeout, cancellation or dispose.</summary>
    public int Poll(TimeSpan timeout, PerfSampleCallback onSample, Action<int, ulong>? onLost = null, CancellationToken cancellationToken = default)
    {
        using var registration = cancellationToken.CanBeCanceled ? cancellationToken.Register(_waiter.Wake) : default;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                var n = 0;
                foreach (var ring in _rings)
                    n += Drain(ring, onSample, onLost);
                if (n > 0 || timeout == TimeSpan.Zero || cancellationToken.IsCancellationRequested)
                    return n;
                var ms = timeout == Timeout.InfiniteTimeSpan ? -1 : (int)Math.Min(int.MaxValue, Math.Ceiling(timeout.TotalMilliseconds));
                _waiter.Wait(ms);
                if (_disposed)
                    return 0;
                foreach (var ring in _rings)
                    n += Drain(ring, onSample, onLost);
                return n;
            }
            finally
            {
                ReleaseIfDisposed();
            }
        }
    }

    /// <summary>Every sample as (cpu, copied bytes), until cancelled or disposed.</summary>
    public async IAsyncEnumerable<(int Cpu, byte[] Data)> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var batch = new List<(int, byte[])>();
        while (!cancellationToken.IsCancellationRequested && !_disposed)
        {
            batch.Clear();
            try
            {
                await Task.Run(() => Poll(Timeout.InfiniteTimeSpan, (cpu, d) => batch.Add((cpu, d.ToArray())), null, cancellationToken),
                    CancellationToken.None).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                yield break;
            }
            foreach (var item in batch)
                yield return item;
        }
    }

    private int Drain(CpuRing ring, PerfSampleCallback onSample, Action<int, ulong>? onLost)
    {
        var headPtr = (long*)(ring.Base + DataHeadOffset);
        var tailPtr = (long*)(ring.Base + DataTailOffset);
        var data = (byte*)ring.Base + ring.DataOffset;
        var size = ring.DataSize;
        var head = Volatile.Read(ref *headPtr);
        var tail = *tailPtr;
        var samples = 0;
        while (tail < head && !_disposed)
        {
            var at = tail % size;
            // The 8-byte header itself never straddles the end (records are 8-byte aligned, the ring a power of two).
            var type = *(uint*)(data + at);
            var recordSize = *(ushort*)(data + at + 6);
            if (recordSize < 8)
                break;  // corrupt ring: stop rather than spin
            ReadOnlySpan<byte> record;
            if (at + recordSize <= size)
                record = new ReadOnlySpan<byte>(data + at, recordSize);
            else
            {
                if (_wrapBuffer.Length < recordSize)
                    _wrapBuffer = new byte[Math.Max(recordSize, _wrapBuffer.Length * 2)];
                var first = (int)(size - at);
                new ReadOnlySpan<byte>(data + at, first).CopyTo(_wrapBuffer);
                new ReadOnlySpan<byte>(data, recordSize - first).CopyTo(_wrapBuffer.AsSpan(first));
                record = _wrapBuffer.AsSpan(0, recordSize);
            }
            if (type == PERF_RECORD_SAMPLE && record.Length >= 12)
            {
                var rawSize = (int)Math.Min(BitConverter.ToUInt32(record[8..]), (uint)(record.Length - 12));
                samples++;
                try
                {
                    onSample(ring.Cpu, record.Slice(12, rawSize));
                }
                catch
                {
                    Volatile.Write(ref *tailPtr, tail + recordSize);
                    throw;
                }
            }
            else if (type == PERF_RECORD_LOST && record.Length >= 24)
            {
                var lost = BitConverter.ToUInt64(record[16..]);
                Interlocked.Add(ref _lost, (long)lost);
                onLost?.Invoke(ring.Cpu, lost);
            }
            tail += recordSize;
            Volatile.Write(ref *tailPtr, tail);
        }
        return samples;
    }

    private void ReleaseIfDisposed()
    {
        if (!_disposed || _released)
            return;
        _released = true;
        foreach (var ring in _rings)
        {
            LibC.ioctl(ring.Fd.Value, PerfEvent.PERF_EVENT_IOC_DISABLE, 0);
            LibC.munmap(ring.Base, ring.Length);
            ring.Fd.Dispose();
        }
        _rings.Clear();
        _waiter.Dispose();
        _map?.Dispose();
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _waiter.Wake();
        if (Monitor.IsEntered(_gate))
            return;
        lock (_gate)
            ReleaseIfDisposed();
    }
}

/// <summary>The CPUs the kernel lists in /sys/devices/system/cpu/online ("0-3,5").</summary>
public static class Cpus
{
    public static IReadOnlyList<int> Online() => ParseList(File.ReadAllText("/sys/devices/system/cpu/online"));

    public static IReadOnlyList<int> Possible() => ParseList(File.ReadAllText("/sys/devices/system/cpu/possible"));

    /// <summary>Parses a kernel CPU list such as "0-3,5,7-8".</summary>
    public static IReadOnlyList<int> ParseList(string text)
    {
        var result = new List<int>();
        foreach (var part in text.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var dash = part.IndexOf('-');
            if (!int.TryParse(dash < 0 ? part : part[..dash], out var from) || !int.TryParse(dash < 0 ? part : part[(dash + 1)..], out var to) || to < from)
                throw new BpfFormatException($"'{text.Trim()}' is not a CPU list");
            for (var cpu = from; cpu <= to; cpu++)
                result.Add(cpu);
        }
        return result;
    }
}
