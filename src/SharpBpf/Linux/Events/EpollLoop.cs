using SharpBpf.Native;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace SharpBpf.Linux.Events;

/// <summary>
/// The one thread that waits for every kernel event reader: an epoll set, started on first use, whose readiness
/// callbacks only set a reader's <see cref="SharpBpf.Events.ReadySignal"/>. Descriptors are watched one-shot: after a
/// wake-up the reader drains its ring and re-arms (<see cref="Rearm"/>) once it finds nothing, and re-arming
/// re-checks readiness, so nothing written in between is missed. Registrations carry an id rather than the fd, so an
/// event that races a removal (or a reused fd number) reaches nobody.
/// </summary>
internal sealed unsafe class EpollLoop
{
    private static readonly Lazy<EpollLoop> SharedLoop = new(() => new EpollLoop());
    private readonly BpfFd _epoll;
    private readonly ConcurrentDictionary<ulong, Action> _watches = new();
    private long _lastId;

    private EpollLoop()
    {
        var fd = LibC.epoll_create1(LibC.EPOLL_CLOEXEC);
        if (fd < 0)
            throw new BpfEventException("epoll_create1", Marshal.GetLastPInvokeError());
        _epoll = new BpfFd(fd);
        new Thread(Run) { IsBackground = true, Name = "SharpBpf event readers (epoll)" }.Start();
    }

    /// <summary>The loop every reader shares; created, with its thread and epoll descriptor, on first use.</summary>
    public static EpollLoop Shared => SharedLoop.Value;

    /// <summary>Watches <paramref name="fd"/> for one readable event; returns the id to re-arm or remove it with.</summary>
    public ulong Add(int fd, Action onReady)
    {
        var id = (ulong)Interlocked.Increment(ref _lastId);
        _watches[id] = onReady;
        if (!Control(LibC.EPOLL_CTL_ADD, fd, id))
        {
            var errno = Marshal.GetLastPInvokeError();
            _watches.TryRemove(id, out _);
            throw new BpfEventException("epoll_ctl(EPOLL_CTL_ADD)", errno);
        }
        return id;
    }

    /// <summary>Watches <paramref name="fd"/> for the next readable event (now, if it is readable already).</summary>
    public void Rearm(int fd, ulong id)
    {
        if (!Control(LibC.EPOLL_CTL_MOD, fd, id))
            throw new BpfEventException("epoll_ctl(EPOLL_CTL_MOD)", Marshal.GetLastPInvokeError());
    }

    /// <summary>Stops watching; call before closing the descriptor.</summary>
    public void Remove(int fd, ulong id)
    {
        _watches.TryRemove(id, out _);
        Control(LibC.EPOLL_CTL_DEL, fd, id);
    }

    private bool Control(int op, int fd, ulong id)
    {
        var ev = new LibC.EpollEvent { Events = LibC.EPOLLIN | LibC.EPOLLONESHOT, Data = id };
        return LibC.epoll_ctl((int)_epoll.DangerousGetHandle(), op, fd, &ev) == 0;
    }

    private void Run()
    {
        const int batch = 64;
        var events = stackalloc LibC.EpollEvent[batch];
        var epfd = (int)_epoll.DangerousGetHandle();  // never closed: the loop lives as long as the process
        while (true)
        {
            var n = LibC.epoll_wait(epfd, events, batch, -1);
            for (var i = 0; i < n; i++)
                if (_watches.TryGetValue(events[i].Data, out var onReady))
                    onReady();
        }
    }
}
