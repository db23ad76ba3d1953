using System.Diagnostics;
using System.Runtime.InteropServices;

namespace XdpBlacklistLive;

/// <summary>
/// Named network namespaces (`ip netns`, bound under /run/netns) and running code inside one: a fresh thread joins it
/// with setns(CLONE_NEWNET), so sockets, interface names and XDP attachments made there belong to that namespace,
/// while the rest of the process stays where it was.
/// </summary>
internal static partial class NetworkNamespace
{
    private const int CloneNewNet = 0x40000000;

    public static bool Exists(string name) => File.Exists(Path.Combine("/run/netns", name));

    /// <summary>Runs `ip ARGS...` and throws with its message when it fails.</summary>
    public static void Ip(params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new IOException("cannot run ip (iproute2)");
        process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd().Trim();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new IOException($"ip {string.Join(' ', args)}: {stderr}");
    }

    /// <summary>Runs <paramref name="action"/> on a thread inside network namespace <paramref name="name"/> and returns its result.</summary>
    public static T Run<T>(string name, Func<T> action)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var ns = File.OpenHandle(Path.Combine("/run/netns", name));
                if (setns((int)ns.DangerousGetHandle(), CloneNewNet) != 0)
                    throw new IOException($"cannot enter network namespace {name}: errno {Marshal.GetLastPInvokeError()}");
                result = action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        }) { Name = "netns " + name };
        thread.Start();
        thread.Join(); // the thread ends here, and its namespace with it: no other thread of the process ever moves
        if (failure is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        return result;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);
}
