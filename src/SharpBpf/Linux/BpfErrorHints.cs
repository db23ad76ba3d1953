using SharpBpf.Native;
namespace SharpBpf.Linux;

/// <summary>What an errno from bpf() means for that command, in words a person can act on.</summary>
internal static class BpfErrorHints
{
    private const int CapNetAdmin = 12, CapSysAdmin = 21, CapPerfmon = 38, CapBpf = 39;

    public static string? For(BpfCommand command, int errno) => errno switch
    {
        Errno.EPERM when command is BpfCommand.ObjPin => "bpffs refuses names containing '.', and pinning needs write access to the directory",
        Errno.EPERM => Permission(command),
        Errno.EACCES when command != BpfCommand.ProgLoad => Permission(command),
        Errno.ENOENT when command is BpfCommand.MapLookupElem or BpfCommand.MapDeleteElem or BpfCommand.MapLookupAndDeleteElem
            => "no such key",
        Errno.ENOENT when command is BpfCommand.ObjGet => "nothing is pinned at that path",
        Errno.EEXIST when command is BpfCommand.ObjPin => "something is already pinned at that path",
        Errno.EEXIST when command is BpfCommand.MapUpdateElem => "the key exists and the update said BPF_NOEXIST",
        Errno.E2BIG when command is BpfCommand.MapUpdateElem => "the map is full (max_entries reached)",
        Errno.E2BIG => "the kernel does not know a field this call set (the kernel is older than the feature) or a size is too large",
        Errno.EINVAL when command is BpfCommand.MapCreate => "the kernel refused this map definition (type, sizes, flags or max_entries are invalid for this map type or kernel)",
        Errno.EINVAL when command is BpfCommand.ProgTestRun => "this program type cannot be test-run this way (check data/ctx sizes: XDP and skb programs need at least 14 bytes of packet)",
        Errno.ENOTSUPP or Errno.EOPNOTSUPP => "the kernel does not support this operation for this object type",
        Errno.EBADF => "the file descriptor is not a BPF object of the right kind",
        Errno.ENOMEM => MemlockHint(),
        Errno.EBUSY when command is BpfCommand.MapUpdateElem or BpfCommand.MapDeleteElem => "the map is frozen or in use",
        _ => null,
    };

    private static string Permission(BpfCommand command)
    {
        var caps = EffectiveCapabilities();
        var needs = command is BpfCommand.ProgLoad ? "CAP_BPF plus CAP_PERFMON (tracing) or CAP_NET_ADMIN (networking), or CAP_SYS_ADMIN"
            : "CAP_BPF or CAP_SYS_ADMIN";
        var parts = new List<string>();
        if (caps is ulong c && (c & (1UL << CapSysAdmin)) == 0 && (c & (1UL << CapBpf)) == 0)
        {
            parts.Add($"this process lacks {needs} (run as root or grant the capabilities)");
            var unpriv = ReadSysctl("/proc/sys/kernel/unprivileged_bpf_disabled");
            if (unpriv is not null && unpriv != "0")
                parts.Add($"kernel.unprivileged_bpf_disabled={unpriv} forbids bpf() without CAP_BPF or CAP_SYS_ADMIN");
        }
        else if (caps is ulong c2 && command is BpfCommand.ProgLoad && (c2 & (1UL << CapSysAdmin)) == 0
                 && (c2 & ((1UL << CapPerfmon) | (1UL << CapNetAdmin))) == 0)
        {
            parts.Add("loading this program type needs CAP_PERFMON or CAP_NET_ADMIN besides CAP_BPF");
        }
        if (!MemoryLimits.KernelAccountsBpfMemoryByMemcg())
            parts.Add(MemlockHint());
        if (parts.Count == 0 && caps is ulong held && (held & (1UL << CapSysAdmin)) != 0)
            parts.Add("the process holds CAP_SYS_ADMIN, so the kernel itself refuses: kernel lockdown" +
                (ReadSysctl("/sys/kernel/security/lockdown") is { } lockdown ? $" ({lockdown})" : "") +
                ", a security module (SELinux, seccomp), or, for fentry/fexit/LSM programs, a kernel that does not allow them here");
        if (parts.Count == 0)
            parts.Add($"needs {needs}; a security module (lockdown, SELinux, seccomp) may also forbid it");
        return string.Join("; ", parts);
    }

    private static string MemlockHint()
    {
        if (MemoryLimits.KernelAccountsBpfMemoryByMemcg())
            return "the kernel is out of memory for BPF objects (memory cgroup limit reached?)";
        var (cur, _) = MemoryLimits.GetMemlock();
        var current = cur == LibC.RLIM_INFINITY ? "unlimited" : $"{cur / 1024} KiB";
        return $"this kernel charges BPF memory to RLIMIT_MEMLOCK (currently {current}) and it is too small: raise it with `ulimit -l unlimited` " +
               "(or at least the maps' and programs' size), or give the process CAP_SYS_RESOURCE so SharpBpf raises it itself";
    }

    /// <summary>CapEff from /proc/self/status, or null when unreadable.</summary>
    public static ulong? EffectiveCapabilities()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                    return Convert.ToUInt64(line[7..].Trim(), 16);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    private static string? ReadSysctl(string path)
    {
        try { return File.ReadAllText(path).Trim(); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
