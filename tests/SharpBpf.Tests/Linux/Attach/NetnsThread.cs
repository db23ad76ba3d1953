using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace SharpBpf.Tests.Linux.Attach;

/// <summary>
/// A dedicated thread that has entered a named network namespace (setns): sockets, netlink and ifindex lookups made
/// by code run through <see cref="Run{T}"/> happen inside that namespace. The process's other threads are unaffected.
/// </summary>
internal sealed class NetnsThread : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread _thread;
    private readonly string _name;

    public NetnsThread(string name)
    {
        _name = name;
        _thread = new Thread(Loop) { IsBackground = true, Name = "netns " + name };
        _thread.Start();
    }

    public T Run<T>(Func<T> action)
    {
        var done = new TaskCompletionSource<T>();
        _work.Add(() =>
        {
            try
            {
                done.SetResult(action());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });
        return done.Task.GetAwaiter().GetResult();
    }

    public void Run(Action action) => Run(() =>
    {
        action();
        return 0;
    });

    private void Loop()
    {
        int rc;
        using (var ns = File.OpenHandle($"/run/netns/{_name}"))
            rc = setns((int)ns.DangerousGetHandle(), 0x40000000 /* CLONE_NEWNET */);
        var errno = Marshal.GetLastPInvokeError();
        foreach (var item in _work.GetConsumingEnumerable())
        {
            if (rc != 0)
                throw new InvalidOperationException($"setns {_name}: errno {errno}");
            item();
        }
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        _thread.Join();
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);
}
