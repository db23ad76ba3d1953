using System.Runtime.CompilerServices;

namespace SharpBpf.Vm.Maps;

/// <summary>
/// Reads a <see cref="VmPerfEventArray"/> the way cilium/ebpf's perf.Reader reads a kernel one: one buffer per CPU,
/// attached to slot cpu, drained CPU by CPU. Samples and lost counts come out as <see cref="VmPerfRecord"/>.
/// Disposing detaches the buffers.
/// </summary>
public sealed class VmPerfEventReader : IDisposable
{
    private readonly VmPerfEventArray _array;
    private readonly VmPerfEventBuffer[] _buffers;
    private readonly SemaphoreSlim _ready = new(0, 1);
    private bool _disposed;

    public VmPerfEventReader(IVmPerfEventArray array, int cpuCount, int perCpuBufferBytes = 64 * 1024)
    {
        _array = array as VmPerfEventArray ?? throw new ArgumentException("not a VM perf event array", nameof(array));
        int slots = Math.Min(cpuCount, array.MaxEntries);
        _buffers = new VmPerfEventBuffer[slots];
        for (int cpu = 0; cpu < slots; cpu++)
        {
            _buffers[cpu] = new VmPerfEventBuffer(cpu, perCpuBufferBytes) { Notify = _ready };
            _array.Attach((uint)cpu, _buffers[cpu]);
        }
    }

    /// <summary>Delivers every pending record, CPU by CPU; returns how many.</summary>
    public int Poll(Action<VmPerfRecord> callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        ObjectDisposedException.ThrowIf(_disposed, this);
        int n = 0;
        foreach (var b in _buffers)
            n += b.Drain(callback);
        return n;
    }

    /// <summary>Records as they arrive, until cancelled or disposed.</summary>
    public async IAsyncEnumerable<VmPerfRecord> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var batch = new List<VmPerfRecord>();
        while (!_disposed && !cancellationToken.IsCancellationRequested)
        {
            batch.Clear();
            foreach (var b in _buffers)
                b.Drain(batch.Add);
            foreach (var r in batch)
                yield return r;
            if (batch.Count > 0)
                continue;
            try
            {
                await _ready.WaitAsync(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        for (int cpu = 0; cpu < _buffers.Length; cpu++)
            _array.Detach((uint)cpu, _buffers[cpu]);
    }
}
