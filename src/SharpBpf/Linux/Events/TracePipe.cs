using SharpBpf.Native;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using SharpBpf.Events;

namespace SharpBpf.Linux.Events;

/// <summary>
/// Reads tracefs trace_pipe, where bpf_trace_printk/bpf_printk output lands (one line per call, consumed on read:
/// lines read here are gone for other readers). Waiting is done by the shared <see cref="EpollLoop"/>; Dispose from
/// any thread makes a read in progress throw <see cref="ObjectDisposedException"/>.
/// </summary>
public sealed class TracePipe : IDisposable
{
    private readonly object _gate = new();
    private readonly BpfFd _fd;
    private readonly ReadySignal _ready = new();
    private readonly EpollWatch _watch;
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private readonly StringBuilder _partial = new();
    private readonly Queue<string> _lines = new();
    private bool _disposed;

    /// <summary>Opens trace_pipe under <paramref name="tracefsRoot"/> (Linux.Attach's <c>Tracefs.Root</c> finds or mounts it).</summary>
    public TracePipe(string tracefsRoot)
    {
        var path = Path.Combine(tracefsRoot, "trace_pipe");
        var fd = LibC.open(path, LibC.O_RDONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        if (fd < 0)
            throw new BpfEventException($"open {path}", Marshal.GetLastPInvokeError(), "needs root and a mounted tracefs");
        _fd = new BpfFd(fd);
        try
        {
            _watch = new EpollWatch(fd, _ready.Set);
        }
        catch
        {
            _fd.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The next complete line (without its newline), or null when none came within <paramref name="timeout"/>
    /// (<see cref="Timeout.InfiniteTimeSpan"/>: wait for ever). Cancellation throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public async ValueTask<string?> ReadLineAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan)
            deadline.CancelAfter(timeout);
        while (true)
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_lines.Count == 0)
                    ReadAvailable();
                if (_lines.TryDequeue(out var line))
                    return line;
                _watch.Arm();
            }
            try
            {
                if (!await _ready.WaitAsync(deadline.Token).ConfigureAwait(false))
                    ObjectDisposedException.ThrowIf(true, this);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;  // the timeout, not the caller
            }
        }
    }

    /// <summary>As <see cref="ReadLineAsync"/>, blocking the calling thread.</summary>
    public string? ReadLine(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        ReadLineAsync(timeout, cancellationToken).AsTask().GetAwaiter().GetResult();

    /// <summary>Lines as they arrive; ends by throwing <see cref="OperationCanceledException"/>.</summary>
    public async IAsyncEnumerable<string> ReadLinesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
            yield return (await ReadLineAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false))!;
    }

    private unsafe void ReadAvailable()
    {
        const int size = 8192;
        var bytes = stackalloc byte[size];
        var chars = stackalloc char[size];
        while (true)
        {
            var n = LibC.read(_fd.Value, bytes, size);
            if (n < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR)
                    continue;
                if (errno == Errno.EAGAIN)
                    return;
                throw new BpfEventException("read trace_pipe", errno);
            }
            if (n == 0)
                return;
            var count = _decoder.GetChars(bytes, (int)n, chars, size, flush: false);
            foreach (var c in new ReadOnlySpan<char>(chars, count))
            {
                if (c != '\n')
                {
                    _partial.Append(c);
                    continue;
                }
                _lines.Enqueue(_partial.ToString());
                _partial.Clear();
            }
        }
    }

    /// <summary>Closes trace_pipe; a read waiting on another thread throws <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            _watch.Remove();
            _fd.Dispose();
        }
        _ready.Complete();
    }
}
