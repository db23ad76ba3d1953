namespace SharpBpf.Linux;

/// <summary>A BPF link (attachment of a program to a hook). Disposing the last reference detaches it.</summary>
public sealed unsafe class KernelLink : IDisposable
{
    private KernelLink(BpfFd fd) => Fd = fd;

    public BpfFd Fd { get; }

    /// <summary>BPF_LINK_CREATE with the target fd (cgroup, netns, ifindex...) and attach type; <paramref name="extra"/> fills the type-specific union.</summary>
    public static KernelLink Create(KernelProgram program, int targetFdOrIfindex, BpfAttachType attachType, uint flags = 0, ulong extra = 0)
    {
        var attr = new LinkCreateAttr
        {
            ProgFd = (uint)program.Fd.Value,
            TargetFd = (uint)targetFdOrIfindex,
            AttachType = (uint)attachType,
            Flags = flags,
            Extra0 = extra,
        };
        return new KernelLink(BpfSyscall.InvokeFd(BpfCommand.LinkCreate, ref attr, program.Name));
    }

    /// <summary>BPF_RAW_TRACEPOINT_OPEN: attaches a raw tracepoint (or, with a null name, a BTF-typed tracing) program.</summary>
    public static KernelLink OpenRawTracepoint(KernelProgram program, string? tracepoint)
    {
        var name = tracepoint is null ? null : BpfSyscall.Utf8Z(tracepoint);
        fixed (byte* p = name)
        {
            var attr = new RawTracepointOpenAttr { Name = (ulong)p, ProgFd = (uint)program.Fd.Value };
            return new KernelLink(BpfSyscall.InvokeFd(BpfCommand.RawTracepointOpen, ref attr, program.Name));
        }
    }

    public static KernelLink OpenById(uint id) => new(BpfSyscall.GetFdById(BpfObjectKind.Link, id));

    public static KernelLink OpenPinned(string path) => new(BpfSyscall.OpenPinned(path));

    /// <summary>Replaces the link's program (BPF_LINK_UPDATE), optionally only if it is still <paramref name="expected"/>.</summary>
    public void Update(KernelProgram newProgram, KernelProgram? expected = null)
    {
        var attr = new LinkUpdateAttr
        {
            LinkFd = (uint)Fd.Value,
            NewProgFd = (uint)newProgram.Fd.Value,
            OldProgFd = expected is null ? 0 : (uint)expected.Fd.Value,
            Flags = expected is null ? 0u : 4u /* BPF_F_REPLACE */,
        };
        BpfSyscall.Invoke(BpfCommand.LinkUpdate, ref attr);
    }

    /// <summary>Detaches the program while keeping the link object alive (BPF_LINK_DETACH).</summary>
    public void Detach()
    {
        var attr = new SingleFdAttr { Value = (uint)Fd.Value };
        BpfSyscall.Invoke(BpfCommand.LinkDetach, ref attr);
    }

    public void Pin(string path) => BpfSyscall.Pin(Fd, path);

    public LinkInfo Info() => KernelObjectInfo.GetLinkInfo(Fd);

    public void Dispose() => Fd.Dispose();
}

/// <summary>BPF_PROG_QUERY: the programs attached to a target (cgroup, netns, ifindex) for an attach type.</summary>
public static unsafe class ProgramQuery
{
    public static uint[] AttachedPrograms(int targetFd, BpfAttachType attachType, uint queryFlags = 0)
    {
        var ids = new uint[64];
        while (true)
        {
            fixed (uint* p = ids)
            {
                var attr = new ProgQueryAttr { TargetFd = (uint)targetFd, AttachType = (uint)attachType, QueryFlags = queryFlags, ProgIds = (ulong)p, ProgCnt = (uint)ids.Length };
                int r = BpfSyscall.TryInvoke(BpfCommand.ProgQuery, ref attr);
                if (r == -Errno.ENOSPC)
                {
                    ids = new uint[Math.Max(ids.Length * 2, (int)attr.ProgCnt)];
                    continue;
                }
                if (r < 0)
                    throw new BpfSyscallException(BpfCommand.ProgQuery, -r, BpfErrorHints.For(BpfCommand.ProgQuery, -r));
                return ids.AsSpan(0, (int)attr.ProgCnt).ToArray();
            }
        }
    }
}
