using SharpBpf.Linux.Attach;

namespace SharpBpf.Linux.Events;

/// <summary>
/// An epoll set over a reader's descriptors plus an eventfd, so a blocked wait can be woken from another thread
/// (cancellation, Dispose) without closing descriptors under it.
/// </summary>
internal sealed unsafe class EventWaiter : IDisposable
{
    private const ulong WakeTag = ulong.MaxValue;
    private readonly FdHandle _epoll;
    private readonly FdHandle _wake;

    public EventWaiter()
    {
        _epoll = NativeCalls.CheckFd(NativeCalls.epoll_create1(NativeCalls.EPOLL_CLOEXEC), "epoll_create1");
        _wake = NativeCalls.CheckFd(NativeCalls.eventfd(0, NativeCalls.EFD_CLOEXEC | NativeCalls.EFD_NONBLOCK), "eventfd");
        Add(_wake.Fd, WakeTag);
    }

    /// <summary>Watches <paramref name="fd"/> for readability; wake-ups report <paramref name="tag"/>.</summary>
    public void Add(int fd, ulong tag)
    {
        var ev = new NativeCalls.EpollEvent { Events = NativeCalls.EPOLLIN, Data = tag };
        NativeCalls.Check(NativeCalls.epoll_ctl(_epoll.Fd, NativeCalls.EPOLL_CTL_ADD, fd, &ev), "epoll_ctl(EPOLL_CTL_ADD)");
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> (-1: forever); returns the tags that became ready (empty on timeout or wake).</summary>
    public List<ulong> Wait(int timeoutMs)
    {
        var events = stackalloc NativeCalls.EpollEvent[16];
        var ready = new List<ulong>();
        int n;
        do
            n = NativeCalls.epoll_wait(_epoll.Fd, events, 16, timeoutMs);
        while (n < 0 && NativeCalls.LastErrno == Errno.EINTR);
        NativeCalls.Check(n, "epoll_wait");
        for (var i = 0; i < n; i++)
        {
            if (events[i].Data == WakeTag)
            {
                ulong drained;
                NativeCalls.read(_wake.Fd, &drained, 8);
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
            NativeCalls.write(_wake.Fd, &one, 8);
    }

    public void Dispose()
    {
        _epoll.Dispose();
        _wake.Dispose();
    }
}
