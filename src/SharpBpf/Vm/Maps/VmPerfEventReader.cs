using SharpBpf.Events;

namespace SharpBpf.Vm.Maps;

/// <summary>
/// Reads a <see cref="VmPerfEventArray"/> the way <c>SharpBpf.Linux.Events.PerfEventReader</c> reads a kernel one:
/// one buffer per CPU, attached to slot cpu, read CPU after CPU; a program's output wakes a waiting read.
/// Disposing detaches the buffers.
/// </summary>
public sealed class VmPerfEventReader : BpfEventReader
{
    private readonly VmPerfEventArray _array;
    private readonly VmPerfEventBuffer[] _buffers;
    private int _next;

    /// <summary>Attaches a buffer of <paramref name="perCpuBufferBytes"/> to each of the first <paramref name="cpuCount"/> slots of <paramref name="array"/>.</summary>
    public VmPerfEventReader(IVmPerfEventArray array, int cpuCount, int perCpuBufferBytes = 64 * 1024) : base(array.Name, BpfEventSource.PerfBuffer)
    {
        _array = array as VmPerfEventArray ?? throw new ArgumentException("not a VM perf event array", nameof(array));
        int slots = Math.Min(cpuCount, array.MaxEntries);
        _buffers = new VmPerfEventBuffer[slots];
        for (int cpu = 0; cpu < slots; cpu++)
        {
            _buffers[cpu] = new VmPerfEventBuffer(cpu, perCpuBufferBytes) { Notify = SignalReady };
            _array.Attach((uint)cpu, _buffers[cpu]);
        }
    }

    private protected override bool ReadCore(Span<byte> buffer, out BpfEventRecord record, out int required)
    {
        record = default;
        required = 0;
        // Start after the CPU read last, so a busy CPU cannot starve the others.
        for (int i = 0; i < _buffers.Length; i++)
        {
            int at = (_next + i) % _buffers.Length;
            if (_buffers[at].TryRead(buffer, out record, out required))
            {
                _next = (at + 1) % _buffers.Length;
                return true;
            }
            if (required > 0)
                return false;
        }
        return false;
    }

    // Nothing to arm: every output signals the reader.
    private protected override void ArmCore() { }

    private protected override void ReleaseCore()
    {
        for (int cpu = 0; cpu < _buffers.Length; cpu++)
            _array.Detach((uint)cpu, _buffers[cpu]);
    }
}
