namespace SharpBpf.Tests.Linux.Events;

/// <summary>
/// Runs a blocking call on its own thread (not the busy thread pool) and returns once the thread is about to make
/// it, plus a grace period, so a test can act "while it blocks" without racing the thread's start.
/// </summary>
internal static class BlockedCall
{
    public static Task<T> Start<T>(Func<T> call, int graceMs = 200)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var started = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            started.Set();
            try
            {
                result.SetResult(call());
            }
            catch (Exception e)
            {
                result.SetException(e);
            }
        }) { IsBackground = true };
        thread.Start();
        started.Wait();
        Thread.Sleep(graceMs);
        return result.Task;
    }
}
