using SharpBpf.Native;
namespace SharpBpf.Linux;

/// <summary>
/// RLIMIT_MEMLOCK handling. Kernels since 5.11 charge BPF memory to the memory cgroup; older ones charge it to
/// RLIMIT_MEMLOCK, whose default (64 KiB or 8 MiB) is too small for real maps. Probed as libbpf does: a program
/// calling bpf_ktime_get_coarse_ns (added in the same release as memcg accounting) loads only on such kernels.
/// </summary>
public static unsafe class MemoryLimits
{
    private static readonly Lazy<bool> MemcgAccounting = new(ProbeMemcgAccounting);
    private static int _raised;

    /// <summary>True when the kernel accounts BPF memory to the memory cgroup (5.11+), so RLIMIT_MEMLOCK does not matter.</summary>
    public static bool KernelAccountsBpfMemoryByMemcg() => MemcgAccounting.Value;

    /// <summary>On pre-5.11 kernels, raises RLIMIT_MEMLOCK to infinity once, when the process may. Safe to call often.</summary>
    public static void EnsureMemlockForBpf()
    {
        if (Volatile.Read(ref _raised) != 0 || Interlocked.Exchange(ref _raised, 1) != 0)
            return;
        if (KernelAccountsBpfMemoryByMemcg())
            return;
        var limit = new LibC.RLimit { Current = LibC.RLIM_INFINITY, Max = LibC.RLIM_INFINITY };
        // Failure (no CAP_SYS_RESOURCE) is not an error here: the EPERM on the next bpf() explains `ulimit -l`.
        _ = LibC.setrlimit(LibC.RLIMIT_MEMLOCK, &limit);
    }

    public static (ulong Current, ulong Max) GetMemlock()
    {
        LibC.RLimit limit;
        return LibC.getrlimit(LibC.RLIMIT_MEMLOCK, &limit) == 0 ? (limit.Current, limit.Max) : (0, 0);
    }

    private static bool ProbeMemcgAccounting()
    {
        // call bpf_ktime_get_coarse_ns (160); exit
        ulong* insns = stackalloc ulong[2];
        insns[0] = 0x85 | ((ulong)160 << 32);
        insns[1] = 0x95;
        byte* license = stackalloc byte[4] { (byte)'G', (byte)'P', (byte)'L', 0 };
        var attr = new ProgLoadAttr
        {
            ProgType = (uint)BpfProgramType.SocketFilter,
            InsnCnt = 2,
            Insns = (ulong)insns,
            License = (ulong)license,
        };
        int fd = BpfSyscall.TryInvoke(BpfCommand.ProgLoad, ref attr);
        if (fd == -Errno.EPERM)
            return KernelReleaseAtLeast(5, 11); // cannot probe without privileges: judge by the release
        if (fd < 0)
            return false;
        LibC.close(fd);
        return true;
    }

    /// <summary>True when uname's release (as /proc/sys/kernel/osrelease shows it) is at least major.minor.</summary>
    public static bool KernelReleaseAtLeast(int major, int minor)
    {
        try
        {
            var release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
            var m = System.Text.RegularExpressions.Regex.Match(release, @"^(\d+)\.(\d+)");
            return m.Success && (int.Parse(m.Groups[1].Value), int.Parse(m.Groups[2].Value)).CompareTo((major, minor)) >= 0;
        }
        catch (IOException) { return true; }
    }
}
