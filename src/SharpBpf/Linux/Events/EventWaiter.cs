using SharpBpf.Native;
using SharpBpf.Linux.Attach;

namespace SharpBpf.Linux.Events;

/// <summary>
/// An epoll set over a reader's descriptors plus an eventfd, so a blocked wait can be woken from another thread
/// (cancellation, Dispose) without closing descriptors under it.
/// </summary>
internal sealed unsafe class EventWaiter : IDisposable
{
    private const ulong WakeTag = ulong.MaxValue;
    private readonly BpfFd _epoll;
    private readonly BpfFd _wake;

    public EventWaiter()
    {
        _epoll = SyscallChecks.CheckFd(LibC.epoll_create1(LibC.EPOLL_CLOEXEC), "epoll_create1");
        _wake = SyscallChecks.CheckFd(LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK), "eventfd");
        Add(_wake.Value, WakeTag);
    }

    /// <summary>Watches <paramref name="fd"/> for readability; wake-ups report <paramref name="tag"/>.</summary>
    public void Add(int fd, ulong tag)
    {
        var ev = new LibC.EpollEvent { Events = LibC.EPOLLIN, Data = tag };
        SyscallChecks.Check(LibC.epoll_ctl(_epoll.Value, LibC.EPOLL_CTL_ADD, fd, &ev), "epoll_ctl(EPOLL_CTL_ADD)");
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> (-1: forever); returns the tags that became ready (empty on timeout or wake).</summary>
    public List<ulong> Wait(int timeoutMs)
    {
        var events = stackalloc LibC.EpollEvent[16];
        var ready = new List<ulong>();
        int n;
        do
            n = LibC.epoll_wait(_epoll.Value, events, 16, timeoutMs);
        while (n < 0 && LibC.LastErrno == Errno.EINTR);
        SyscallChecks.Check(n, "epoll_wait");
        for (var i = 0; i < n; i++)
        {
            if (events[i].Data == WakeTag)
            {
                ulong drained;
                LibC.read(_wake.Value, &drained, 8);
                continue;
            }
            ready.Add(events[i].Data);
        }
        return ready;
    }

    /// <summary>Makes a concurrent or the next <see cref="Wait"/> return at once.</summary>
    public void Wake()
    {
        ulong one = 1;
        if (!_wake.IsClosed)
            LibC.write(_wake.Value, &one, 8);
    }

    public void Dispose()
    {
        _epoll.Dispose();
        _wake.Dispose();
    }
}
