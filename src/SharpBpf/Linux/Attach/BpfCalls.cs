using System.Runtime.InteropServices;

namespace SharpBpf.Linux.Attach;

/// <summary>
/// The bpf() commands attaching needs, over the shared syscall layer (<see cref="BpfSyscall"/>): failures become
/// <see cref="BpfSyscallException"/> carrying an attach-specific hint where one helps.
/// </summary>
internal static unsafe class BpfCalls
{
    private static BpfFd Fd<T>(BpfCommand command, ref T attr, string subject) where T : unmanaged
    {
        var r = BpfSyscall.TryInvoke(command, ref attr);
        if (r < 0)
            throw new BpfSyscallException(command, -r, Hints.Attach(-r) ?? BpfErrorHints.For(command, -r), subject);
        return new BpfFd(r);
    }

    private static void Call<T>(BpfCommand command, ref T attr, string subject) where T : unmanaged
    {
        var r = BpfSyscall.TryInvoke(command, ref attr);
        if (r < 0)
            throw new BpfSyscallException(command, -r, Hints.Attach(-r) ?? BpfErrorHints.For(command, -r), subject);
    }

    /// <summary>BPF_LINK_CREATE; <paramref name="extra0"/> is the first word of the per-type union (cookie, relative fd...).</summary>
    public static BpfFd LinkCreate(int progFd, int target, BpfAttachType type, uint flags, string what, ulong extra0 = 0)
    {
        var attr = new LinkCreateAttr { ProgFd = (uint)progFd, TargetFd = (uint)target, AttachType = (uint)type, Flags = flags, Extra0 = extra0 };
        return Fd(BpfCommand.LinkCreate, ref attr, what);
    }

    public static BpfFd RawTracepointOpen(int progFd, string name)
    {
        fixed (byte* p = BpfSyscall.Utf8Z(name))
        {
            var attr = new RawTracepointOpenAttr { Name = (ulong)p, ProgFd = (uint)progFd };
            var r = BpfSyscall.TryInvoke(BpfCommand.RawTracepointOpen, ref attr);
            if (r < 0)
                throw new BpfSyscallException(BpfCommand.RawTracepointOpen, -r,
                    -r == Errno.ENOENT ? $"no raw tracepoint '{name}' in this kernel (see {Path.Combine("<tracefs>", "available_events")})" : Hints.Attach(-r),
                    "raw tracepoint " + name);
            return new BpfFd(r);
        }
    }

    public static void LinkDetach(BpfFd link, string what)
    {
        var attr = new SingleFdAttr { Value = (uint)link.Value };
        Call(BpfCommand.LinkDetach, ref attr, what);
    }

    public static void ProgAttach(int targetFd, int progFd, BpfAttachType type, uint flags, string what)
    {
        var attr = new ProgAttachAttr { TargetFd = (uint)targetFd, AttachBpfFd = (uint)progFd, AttachType = (uint)type, AttachFlags = flags };
        Call(BpfCommand.ProgAttach, ref attr, what);
    }

    public static void ProgDetach(int targetFd, int progFd, BpfAttachType type, string what)
    {
        var attr = new ProgAttachAttr { TargetFd = (uint)targetFd, AttachBpfFd = (uint)progFd, AttachType = (uint)type };
        Call(BpfCommand.ProgDetach, ref attr, what);
    }

    /// <summary>
    /// BPF_PROG_QUERY for multi-program hooks (tcx, netkit): program and link ids in attach order. Uses the whole
    /// query layout because the kernel writes query.revision (offset 56) whatever attr size it is given.
    /// </summary>
    public static (uint[] Programs, uint[] Links) QueryMultiProgram(int ifindex, BpfAttachType type, string what)
    {
        var programs = new uint[64];
        var links = new uint[64];
        fixed (uint* p = programs, l = links)
        {
            var attr = new MultiProgQueryAttr { Target = (uint)ifindex, AttachType = (uint)type, ProgIds = (ulong)p, Count = 64, LinkIds = (ulong)l };
            Call(BpfCommand.ProgQuery, ref attr, what);
            var n = (int)Math.Min(attr.Count, 64u);
            return (programs[..n], links[..n]);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MultiProgQueryAttr
    {
        public uint Target;
        public uint AttachType;
        public uint QueryFlags;
        public uint AttachFlags;
        public ulong ProgIds;
        public uint Count;
        private uint _pad;
        public ulong ProgAttachFlags;
        public ulong LinkIds;
        public ulong LinkAttachFlags;
        public ulong Revision;
    }

    /// <summary>BPF_PROG_ATTACH / BPF_PROG_DETACH (the legacy, non-link attachment).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct ProgAttachAttr
    {
        public uint TargetFd;
        public uint AttachBpfFd;
        public uint AttachType;
        public uint AttachFlags;
        public uint ReplaceBpfFd;
        private uint _pad;
    }
}

/// <summary>Hints for the errnos attaching commonly returns.</summary>
internal static class Hints
{
    public static string? Attach(int errno) => errno switch
    {
        Errno.EPERM => "needs root or CAP_BPF plus CAP_PERFMON/CAP_NET_ADMIN for this hook",
        Errno.EINVAL => "the program's type or expected attach type does not match this hook, or the kernel lacks this kind of attachment",
        Errno.EEXIST or Errno.EBUSY => "another program is already attached there (detach it, or use a multi-attach hook such as tcx)",
        Errno.EBADF => "the program or target descriptor is not open",
        _ => null,
    };
}
