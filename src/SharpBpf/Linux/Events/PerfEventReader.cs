using SharpBpf.Native;
using System.Runtime.InteropServices;
using SharpBpf.Events;

namespace SharpBpf.Linux.Events;

/// <summary>
/// Reads a kernel BPF_MAP_TYPE_PERF_EVENT_ARRAY: opens a PERF_COUNT_SW_BPF_OUTPUT event per online CPU, maps its
/// ring, stores the event fd in the map at the CPU's index, and hands out PERF_RECORD_SAMPLE records (copied into the
/// caller's buffer, also when they wrap around the ring's end) and PERF_RECORD_LOST counts, CPU after CPU. Waiting is
/// done by the shared <see cref="EpollLoop"/>.
/// </summary>
public sealed unsafe class PerfEventReader : BpfEventReader
{
    private const int DataHeadOffset = 1024, DataTailOffset = 1032, DataOffsetOffset = 1040, DataSizeOffset = 1048;

    private readonly KernelMap _map;
    private readonly List<CpuRing> _rings = [];
    private readonly int _pageSize = Environment.SystemPageSize;
    private int _nextRing;

    private sealed class CpuRing
    {
        public required int Cpu;
        public required BpfFd Fd;
        public required nint Base;
        public required nint Length;
        public long DataOffset;
        public long DataSize;
        public EpollWatch? Watch;
    }

    /// <summary>Sets up the per-CPU rings for <paramref name="map"/>.</summary>
    /// <param name="pagesPerCpu">data pages per CPU ring; a power of two.</param>
    /// <param name="wakeupEvents">samples per wake-up (1: every sample wakes the reader).</param>
    public PerfEventReader(KernelMap map, int pagesPerCpu = 8, uint wakeupEvents = 1) : this(map.Fd, pagesPerCpu, wakeupEvents, map.Name) { }

    /// <summary>Sets up the per-CPU rings for the map behind <paramref name="map"/> (the descriptor is duplicated, not taken).</summary>
    public PerfEventReader(BpfFd map, int pagesPerCpu = 8, uint wakeupEvents = 1) : this(map, pagesPerCpu, wakeupEvents, null) { }

    private PerfEventReader(BpfFd mapFd, int pagesPerCpu, uint wakeupEvents, string? name, (int Cpu, int Index)? only = null)
        : this(Open(mapFd, pagesPerCpu), pagesPerCpu, wakeupEvents, name, only) { }

    /// <summary>One ring only, for CPU <paramref name="cpu"/>, stored at <paramref name="index"/> of the map (bpftool's
    /// <c>map event_pipe MAP cpu N index M</c>): what programs on that CPU send to that index.</summary>
    public static PerfEventReader ForCpu(KernelMap map, int cpu, int index, int pagesPerCpu = 8)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (index < 0 || index >= map.MaxEntries)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"perf event array '{map.Name}' has {map.MaxEntries} slots");
        if (!Cpus.Online().Contains(cpu))
            throw new ArgumentOutOfRangeException(nameof(cpu), cpu, "not an online CPU");
        return new PerfEventReader(map.Fd, pagesPerCpu, 1, map.Name, (cpu, index));
    }

    private PerfEventReader(KernelMap map, int pagesPerCpu, uint wakeupEvents, string? name, (int Cpu, int Index)? only)
        : base(name ?? map.Name, BpfEventSource.PerfBuffer)
    {
        _map = map;
        try
        {
            if (map.Type != BpfMapType.PerfEventArray)
                throw new ArgumentException($"map '{MapName}' is a {map.Type} map, not a BPF_MAP_TYPE_PERF_EVENT_ARRAY", "map");
            if (only is { } one)
                OpenRing(one.Cpu, one.Index, pagesPerCpu, wakeupEvents);
            else
                foreach (var cpu in Cpus.Online())
                    if (cpu < map.MaxEntries)  // the map has no slot for the others: the program cannot write there either
                        OpenRing(cpu, cpu, pagesPerCpu, wakeupEvents);
            if (_rings.Count == 0)
                throw new ArgumentException($"perf event array '{MapName}' has {map.MaxEntries} slots, no online CPU fits", "map");
        }
        catch
        {
            ReleaseCore();
            throw;
        }
    }

    private static KernelMap Open(BpfFd map, int pagesPerCpu)
    {
        if (pagesPerCpu <= 0 || (pagesPerCpu & (pagesPerCpu - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(pagesPerCpu), pagesPerCpu, "must be a power of two");
        return KernelMap.FromFd(map.Duplicate());
    }

    /// <summary>The memory this reader has mapped (for leak checks).</summary>
    internal (nint Start, long Length)[] Mappings => _rings.Select(r => (r.Base, (long)r.Length)).ToArray();

    /// <summary>The CPUs with a ring.</summary>
    public IReadOnlyList<int> RingCpus => _rings.Select(r => r.Cpu).ToArray();

    private void OpenRing(int cpu, int index, int pages, uint wakeupEvents)
    {
        var fd = PerfEventOpen.Open(new PerfEventOpen.Attr(PerfEventOpen.PERF_TYPE_SOFTWARE, PerfEventOpen.PERF_COUNT_SW_BPF_OUTPUT,
            SampleType: PerfEventOpen.PERF_SAMPLE_RAW, SamplePeriod: 1, WakeupEvents: wakeupEvents), -1, cpu, $"BPF output event on CPU {cpu}");
        var length = (nint)(_pageSize * (1L + pages));
        var mem = LibC.mmap(0, length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd.Value, 0);
        if (mem == -1)
        {
            var errno = Marshal.GetLastPInvokeError();
            fd.Dispose();
            throw new BpfEventException($"mmap perf ring of CPU {cpu}", errno, errno == Errno.EPERM ? "raise the locked-memory limit or kernel.perf_event_mlock_kb" : null);
        }
        var ring = new CpuRing { Cpu = cpu, Fd = fd, Base = mem, Length = length };
        _rings.Add(ring);  // from here a failed constructor releases it
        var dataOffset = *(long*)(mem + DataOffsetOffset);
        var dataSize = *(long*)(mem + DataSizeOffset);
        ring.DataOffset = dataOffset != 0 ? dataOffset : _pageSize;
        ring.DataSize = dataSize != 0 ? dataSize : (long)_pageSize * pages;
        Span<byte> key = stackalloc byte[4], value = stackalloc byte[4];
        BitConverter.TryWriteBytes(key, index);
        BitConverter.TryWriteBytes(value, fd.Value);
        _map.Update(key, value);
        if (LibC.ioctl(fd.Value, PerfEventOpen.PERF_EVENT_IOC_ENABLE, 0) < 0)
            throw new BpfEventException($"PERF_EVENT_IOC_ENABLE (CPU {cpu})", Marshal.GetLastPInvokeError());
        ring.Watch = new EpollWatch(fd.Value, SignalReady);
    }

    private protected override bool ReadCore(Span<byte> buffer, out BpfEventRecord record, out int required)
    {
        record = default;
        required = 0;
        // Start after the CPU read last, so a busy CPU cannot starve the others.
        for (var i = 0; i < _rings.Count; i++)
        {
            var ring = _rings[(_nextRing + i) % _rings.Count];
            var tailPtr = (long*)(ring.Base + DataTailOffset);
            var head = Volatile.Read(ref *(long*)(ring.Base + DataHeadOffset));
            var tail = *tailPtr;
            var found = PerfRingRecords.TryRead((byte*)ring.Base + ring.DataOffset, ring.DataSize, head, ref tail, ring.Cpu, buffer, out record, out required);
            Volatile.Write(ref *tailPtr, tail);
            if (found)
            {
                _nextRing = (_nextRing + i + 1) % _rings.Count;
                return true;
            }
            if (required > 0)
                return false;
        }
        return false;
    }

    private protected override void ArmCore()
    {
        foreach (var ring in _rings)
            ring.Watch!.Arm();
    }

    private protected override void ReleaseCore()
    {
        foreach (var ring in _rings)
        {
            ring.Watch?.Remove();
            LibC.ioctl(ring.Fd.Value, PerfEventOpen.PERF_EVENT_IOC_DISABLE, 0);
            LibC.munmap(ring.Base, ring.Length);
            ring.Fd.Dispose();
        }
        _rings.Clear();
        _map.Dispose();
    }
}
