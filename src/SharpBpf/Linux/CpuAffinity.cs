using SharpBpf.Native;

namespace SharpBpf.Linux;

/// <summary>
/// Pins the calling thread to one CPU for a scope (LibC.sched_setaffinity) and restores its mask afterwards.
/// BPF_PROG_TEST_RUN runs XDP and skb programs on whatever CPU the caller is on, so pinning makes per-CPU map
/// results reproducible.
/// </summary>
public sealed unsafe class CpuAffinity : IDisposable
{
    private const int MaskBytes = 128; // cpu_set_t: 1024 CPUs
    private readonly byte[] _previous;
    private bool _restored;

    private CpuAffinity(byte[] previous) => _previous = previous;

    /// <summary>The CPU the calling thread is on now.</summary>
    public static int CurrentCpu => LibC.sched_getcpu();

    /// <summary>
    /// Pins the calling thread to <paramref name="cpu"/>; null when the thread may not run there (a cpuset without it)
    /// or the call is refused. Dispose the result on the same thread to restore the previous mask.
    /// </summary>
    public static CpuAffinity? TryPin(int cpu)
    {
        if (!OperatingSystem.IsLinux() || cpu < 0 || cpu >= MaskBytes * 8)
            return null;
        var previous = new byte[MaskBytes];
        fixed (byte* p = previous)
        {
            if (LibC.sched_getaffinity(0, MaskBytes, p) != 0 || (previous[cpu / 8] & (1 << (cpu % 8))) == 0)
                return null;
        }
        var mask = new byte[MaskBytes];
        mask[cpu / 8] = (byte)(1 << (cpu % 8));
        fixed (byte* p = mask)
        {
            if (LibC.sched_setaffinity(0, MaskBytes, p) != 0)
                return null;
        }
        return new CpuAffinity(previous);
    }

    /// <summary>Restores the mask the thread had before <see cref="TryPin"/>.</summary>
    public void Dispose()
    {
        if (_restored)
            return;
        _restored = true;
        fixed (byte* p = _previous)
            _ = LibC.sched_setaffinity(0, MaskBytes, p);
    }
}
