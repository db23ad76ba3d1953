namespace SharpBpf.Linux.Events;

/// <summary>
/// One descriptor in the shared <see cref="EpollLoop"/>, watched one-shot: a readable event disarms it and calls
/// the owner's callback; <see cref="Arm"/> (after the owner found nothing left to read) watches it again.
/// The owner keeps the descriptor open until <see cref="Remove"/> has returned.
/// </summary>
internal sealed class EpollWatch
{
    private readonly int _fd;
    private readonly ulong _id;
    private volatile bool _armed = true;

    public EpollWatch(int fd, Action onReady)
    {
        _fd = fd;
        _id = EpollLoop.Shared.Add(fd, () =>
        {
            _armed = false;
            onReady();
        });
    }

    /// <summary>Watches for the next readable event unless a watch is still pending; fires at once if already readable.</summary>
    public void Arm()
    {
        if (_armed)
            return;
        _armed = true;
        EpollLoop.Shared.Rearm(_fd, _id);
    }

    /// <summary>Leaves the epoll set; after this the callback is not called again.</summary>
    public void Remove() => EpollLoop.Shared.Remove(_fd, _id);
}
