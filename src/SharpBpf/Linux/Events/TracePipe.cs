using SharpBpf.Native;
using System.Runtime.CompilerServices;
using System.Text;
using SharpBpf.Linux.Attach;

namespace SharpBpf.Linux.Events;

/// <summary>
/// Reads tracefs trace_pipe, where bpf_trace_printk/bpf_printk output lands (one line per call, consumed on read:
/// lines read here are gone for other readers). Dispose from any thread stops a wait in progress.
/// </summary>
public sealed unsafe class TracePipe : IDisposable
{
    private readonly object _gate = new();
    private readonly BpfFd _fd;
    private readonly EventWaiter _waiter = new();
    private readonly StringBuilder _partial = new();
    private readonly Queue<string> _lines = new();
    private volatile bool _disposed;
    private bool _released;

    public TracePipe(string? tracefsRoot = null)
    {
        var path = Path.Combine(tracefsRoot ?? Tracefs.Root, "trace_pipe");
        _fd = SyscallChecks.CheckFd(LibC.open(path, LibC.O_RDONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0), $"open {path}");
        _waiter.Add(_fd.Value, 0);
    }

    /// <summary>The next complete line (without its newline), or null after <paramref name="timeout"/>, cancellation or dispose.</summary>
    public string? ReadLine(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var registration = cancellationToken.CanBeCanceled ? cancellationToken.Register(_waiter.Wake) : default;
        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                while (true)
                {
                    if (_lines.TryDequeue(out var line))
                        return line;
                    ReadAvailable();
                    if (_lines.Count > 0)
                        continue;
                    var left = deadline == long.MaxValue ? -1 : deadline - Environment.TickCount64;
                    if (left <= 0 && deadline != long.MaxValue || cancellationToken.IsCancellationRequested || _disposed)
                        return null;
                    _waiter.Wait((int)Math.Min(left < 0 ? -1 : left, int.MaxValue));
                    if (_disposed)
                        return null;
                }
            }
            finally
            {
                ReleaseIfDisposed();
            }
        }
    }

    /// <summary>Lines as they arrive, until cancelled or disposed.</summary>
    public async IAsyncEnumerable<string> ReadLinesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (!cancellationToken.IsCancellationRequested && !_disposed)
        {
            string? line;
            try
            {
                line = await Task.Run(() => ReadLine(Timeout.InfiniteTimeSpan, cancellationToken), CancellationToken.None).ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                yield break;
            }
            if (line is not null)
                yield return line;
        }
    }

    private void ReadAvailable()
    {
        var buffer = stackalloc byte[8192];
        while (true)
        {
            var n = LibC.read(_fd.Value, buffer, 8192);
            if (n < 0)
            {
                var errno = LibC.LastErrno;
                if (errno == Errno.EINTR)
                    continue;
                if (errno == Errno.EAGAIN)
                    return;
                throw new BpfAttachException("read trace_pipe", errno);
            }
            if (n == 0)
                return;
            _partial.Append(Encoding.UTF8.GetString(buffer, (int)n));
            var text = _partial.ToString();
            var last = text.LastIndexOf('\n');
            if (last < 0)
                continue;
            foreach (var line in text[..last].Split('\n'))
                _lines.Enqueue(line);
            _partial.Clear().Append(text[(last + 1)..]);
        }
    }

    private void ReleaseIfDisposed()
    {
        if (!_disposed || _released)
            return;
        _released = true;
        _waiter.Dispose();
        _fd.Dispose();
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
