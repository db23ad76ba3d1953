using SharpBpf.Native;
using System.Runtime.InteropServices;

namespace SharpBpf.Linux.Attach;

/// <summary>A program attached to a cgroup, as BPF_PROG_QUERY reports it.</summary>
/// <param name="AttachFlags">BPF_F_ALLOW_OVERRIDE (1), BPF_F_ALLOW_MULTI (2), or 0; per program where the kernel says.</param>
public sealed record CgroupProgram(uint ProgramId, BpfAttachType AttachType, uint AttachFlags);

/// <summary>
/// The cgroup side of BPF_PROG_QUERY, BPF_PROG_ATTACH and BPF_PROG_DETACH (what `bpftool cgroup` drives), on a cgroup
/// v2 directory. <see cref="Cgroup.Attach"/> is the link-based attachment for programs that should go with their owner.
/// </summary>
public static unsafe class CgroupPrograms
{
    public const uint AllowOverride = 1, AllowMulti = 2, QueryEffective = 1;

    /// <summary>Where cgroup v2 is mounted: the first cgroup2 line of /proc/mounts (as bpftool finds it), else null.</summary>
    public static string? FindRoot(string mounts = "/proc/mounts")
    {
        foreach (var line in File.ReadLines(mounts))
        {
            var f = line.Split(' ');
            if (f.Length > 2 && f[2] == "cgroup2")
                return f[1].Replace("\\040", " ", StringComparison.Ordinal);
        }
        return null;
    }

    /// <summary>Opens a cgroup directory for the calls below.</summary>
    public static SafeHandle Open(string path) =>
        SyscallChecks.CheckFd(LibC.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC, 0), $"open cgroup {path}",
            e => e == Errno.ENOENT ? "no such cgroup directory (cgroup v2 is usually at /sys/fs/cgroup or /sys/fs/cgroup/unified)" : null);

    /// <summary>
    /// The programs attached to <paramref name="cgroup"/> for <paramref name="type"/> (or in effect there, inherited
    /// included, when <paramref name="effective"/>), in run order; null when the kernel cannot query that type on a cgroup.
    /// </summary>
    public static IReadOnlyList<CgroupProgram>? Query(SafeHandle cgroup, BpfAttachType type, bool effective)
    {
        const int max = 1024;
        var ids = new uint[max];
        var flags = new uint[max];
        using var lease = new FdLease(cgroup, "cgroup");
        fixed (uint* p = ids, f = flags)
        {
            var attr = new QueryAttr
            {
                TargetFd = (uint)lease.Fd, AttachType = (uint)type, QueryFlags = effective ? QueryEffective : 0,
                ProgIds = (ulong)p, ProgCount = max, ProgAttachFlags = effective ? 0 : (ulong)f,
            };
            var r = BpfSyscall.TryInvoke(BpfCommand.ProgQuery, ref attr);
            if (r == -Errno.EINVAL)
                return null;
            if (r < 0)
                throw new BpfSyscallException(BpfCommand.ProgQuery, -r, Hints.Attach(-r), $"cgroup query of {BpfNames.Of(type)}");
            var n = (int)Math.Min(attr.ProgCount, (uint)max);
            return [.. Enumerable.Range(0, n).Select(i => new CgroupProgram(ids[i], type, flags[i] != 0 ? flags[i] : attr.AttachFlags))];
        }
    }

    /// <summary>BPF_PROG_ATTACH with <paramref name="flags"/> (0, <see cref="AllowOverride"/>, <see cref="AllowMulti"/>): stays until detached.</summary>
    public static void Attach(SafeHandle cgroup, SafeHandle program, BpfAttachType type, uint flags)
    {
        using var c = new FdLease(cgroup, "cgroup");
        using var p = new FdLease(program, "program");
        BpfCalls.ProgAttach(c.Fd, p.Fd, type, flags, $"cgroup {BpfNames.Of(type)} attach");
    }

    /// <summary>BPF_PROG_DETACH of one program.</summary>
    public static void Detach(SafeHandle cgroup, SafeHandle program, BpfAttachType type)
    {
        using var c = new FdLease(cgroup, "cgroup");
        using var p = new FdLease(program, "program");
        BpfCalls.ProgDetach(c.Fd, p.Fd, type, $"cgroup {BpfNames.Of(type)} detach");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct QueryAttr
    {
        public uint TargetFd;
        public uint AttachType;
        public uint QueryFlags;
        public uint AttachFlags;
        public ulong ProgIds;
        public uint ProgCount;
        private uint _pad;
        public ulong ProgAttachFlags;
        public ulong LinkIds;
        public ulong LinkAttachFlags;
        public ulong Revision;
    }
}
