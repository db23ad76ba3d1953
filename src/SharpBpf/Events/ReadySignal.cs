using System.Threading.Channels;

namespace SharpBpf.Events;

/// <summary>
/// "Something may be ready": a channel holding at most one token. Producers (the epoll thread, a VM program's
/// submit) set it without blocking; one waiter takes it. A token set before the wait is kept, so a wake-up between
/// "found nothing" and "wait" is never lost; a stale token only costs one more look.
/// </summary>
internal sealed class ReadySignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, AllowSynchronousContinuations = false });

    public void Set() => _channel.Writer.TryWrite(true);

    /// <summary>Waits for the token; <see cref="OperationCanceledException"/> on cancellation, false once completed.</summary>
    public async ValueTask<bool> WaitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _channel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (ChannelClosedException)
        {
            return false;
        }
    }

    /// <summary>Ends every wait, now and later (after Dispose).</summary>
    public void Complete() => _channel.Writer.TryComplete();
}
