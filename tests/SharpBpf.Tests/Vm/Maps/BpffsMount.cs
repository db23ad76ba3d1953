using System.Diagnostics;

namespace SharpBpf.Tests.Vm.Maps;

/// <summary>
/// A private directory on a bpf filesystem for one test run: a fresh subdirectory of /sys/fs/bpf when that is
/// mounted as bpffs, else a temporary directory with its own bpffs mount. Removed (and unmounted) on dispose.
/// </summary>
public sealed class BpffsMount : IDisposable
{
    private readonly bool _mounted;

    public BpffsMount()
    {
        var name = $"sharpbpf-vmmaps-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40];
        if (IsBpffs("/sys/fs/bpf"))
        {
            Path = System.IO.Path.Combine("/sys/fs/bpf", name);
            Directory.CreateDirectory(Path);
        }
        else
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), name);
            Directory.CreateDirectory(Path);
            Run("mount", "-t", "bpf", "bpf", Path);
            _mounted = true;
        }
    }

    public string Path { get; }

    private static bool IsBpffs(string dir) =>
        File.ReadLines("/proc/mounts").Any(l => l.Split(' ') is [_, var at, "bpf", ..] && at == dir);

    public void Dispose()
    {
        if (_mounted)
        {
            Run("umount", Path);
            Directory.Delete(Path);
        }
        else
            Directory.Delete(Path, recursive: true);
    }

    private static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {err}");
    }
}
