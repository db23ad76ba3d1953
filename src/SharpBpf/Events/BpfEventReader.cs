using System.Buffers;
using System.Runtime.CompilerServices;

namespace SharpBpf.Events;

/// <summary>
/// What every <see cref="IBpfEventReader"/> shares: the gate that serialises reads against Dispose, the wait for
/// "more may be ready" (<see cref="ReadySignal"/>), the lost-sample count and the async enumeration. A reader
/// supplies how to read one record, how to ask for the next wake-up, and how to release what it holds.
/// </summary>
public abstract class BpfEventReader : IBpfEventReader
{
    private readonly object _gate = new();
    private readonly ReadySignal _ready = new();
    private long _lost;
    private int _waiting;
    private bool _disposed;

    private protected BpfEventReader(string mapName, BpfEventSource source)
    {
        MapName = mapName;
        Source = source;
        SignalReady = _ready.Set;
    }

    /// <inheritdoc/>
    public string MapName { get; }

    /// <inheritdoc/>
    public BpfEventSource Source { get; }

    /// <inheritdoc/>
    public long LostSamples => Interlocked.Read(ref _lost);

    /// <summary>Reads one record into <paramref name="buffer"/> (called under the gate, never after release).</summary>
    /// <returns>True with <paramref name="record"/> set; false when nothing is ready (<paramref name="required"/> 0) or
    /// the next record needs <paramref name="required"/> bytes (left unread).</returns>
    private protected abstract bool ReadCore(Span<byte> buffer, out BpfEventRecord record, out int required);

    /// <summary>Asks to be woken (<see cref="SignalReady"/>) when more arrives; called under the gate after a read found nothing.</summary>
    private protected abstract void ArmCore();

    /// <summary>Releases descriptors, mappings and subscriptions; called once, under the gate.</summary>
    private protected abstract void ReleaseCore();

    /// <summary>
    /// Wakes a waiting read; safe from any thread, at any time (also after Dispose). Bound to the signal, not to the
    /// reader, so an epoll registration or a VM map holding it does not keep a reader nobody disposed alive.
    /// </summary>
    private protected Action SignalReady { get; }

    /// <summary>Runs <paramref name="action"/> under the gate unless disposed (for a reader's own properties).</summary>
    private protected T Locked<T>(Func<T> action)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return action();
        }
    }

    /// <inheritdoc/>
    public bool TryRead(Span<byte> buffer, out BpfEventRecord record)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return ReadOrThrow(buffer, out record);
        }
    }

    private bool ReadOrThrow(Span<byte> buffer, out BpfEventRecord record)
    {
        if (ReadCore(buffer, out record, out var required))
        {
            Interlocked.Add(ref _lost, (long)record.LostSamples);
            return true;
        }
        if (required > 0)
            throw new BpfEventBufferTooSmallException(MapName, buffer.Length, required);
        return false;
    }

    /// <inheritdoc/>
    public ValueTask<BpfEventRecord> ReadIntoAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<BpfEventRecord>(cancellationToken);
        return TryRead(buffer.Span, out var record) ? new ValueTask<BpfEventRecord>(record) : WaitAndReadAsync(buffer, cancellationToken);
    }

    private async ValueTask<BpfEventRecord> WaitAndReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (ReadOrThrow(buffer.Span, out var record))
                {
                    if (Volatile.Read(ref _waiting) > 0)
                        SignalReady();  // pass the wake-up on to another read of this reader, for what is left
                    return record;
                }
                ArmCore();
                Interlocked.Increment(ref _waiting);  // under the gate: a read that takes the wake-up sees this one waiting
            }
            try
            {
                if (!await _ready.WaitAsync(cancellationToken).ConfigureAwait(false))
                    ObjectDisposedException.ThrowIf(true, this);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<BpfEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(256);
        try
        {
            while (true)
            {
                BpfEventRecord record;
                try
                {
                    record = await ReadIntoAsync(buffer, cancellationToken).ConfigureAwait(false);
                }
                catch (BpfEventBufferTooSmallException e)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Max(e.RequiredLength, buffer.Length * 2));
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                    continue;
                }
                yield return new BpfEvent(buffer.AsMemory(0, record.Length), record.Cpu, record.LostSamples);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Releases the reader; a read waiting on another thread throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            ReleaseCore();
        }
        _ready.Complete();
        GC.SuppressFinalize(this);
    }
}
