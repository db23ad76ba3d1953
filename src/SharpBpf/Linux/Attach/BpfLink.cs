namespace SharpBpf.Linux.Attach;

/// <summary>The kernel's bpf_link types (enum bpf_link_type), as `link list` names them.</summary>
public enum BpfLinkType : uint
{
    Unspec = 0, RawTracepoint = 1, Tracing = 2, Cgroup = 3, Iter = 4, Netns = 5, Xdp = 6, PerfEvent = 7,
    KprobeMulti = 8, StructOps = 9, Netfilter = 10, Tcx = 11, UprobeMulti = 12, Netkit = 13, Sockmap = 14,
}

/// <summary>A link's info decoded for its type: the target interface, cgroup, attach type or tracepoint.</summary>
public sealed record BpfLinkInfo(uint Id, BpfLinkType Type, uint ProgramId, uint Ifindex, BpfAttachType? AttachType,
    ulong CgroupId, string? TracepointName)
{
    /// <summary>Decodes the type-specific union of BPF_OBJ_GET_INFO_BY_FD's bpf_link_info.</summary>
    public static BpfLinkInfo From(LinkInfo info)
    {
        var type = (BpfLinkType)info.Type;
        var w0 = info.Raw.Length > 0 ? info.Raw[0] : 0;
        var w1 = info.Raw.Length > 1 ? info.Raw[1] : 0;
        return type switch
        {
            BpfLinkType.Xdp => new(info.Id, type, info.ProgramId, (uint)w0, BpfAttachType.Xdp, 0, null),
            BpfLinkType.Tcx or BpfLinkType.Netkit => new(info.Id, type, info.ProgramId, (uint)w0, (BpfAttachType)(uint)(w0 >> 32), 0, null),
            BpfLinkType.Cgroup => new(info.Id, type, info.ProgramId, 0, (BpfAttachType)(uint)w1, w0, null),
            BpfLinkType.Netns => new(info.Id, type, info.ProgramId, 0, (BpfAttachType)(uint)(w0 >> 32), 0, null),
            _ => new(info.Id, type, info.ProgramId, 0, null, 0, info.TracepointName),
        };
    }
}

/// <summary>
/// A kernel bpf link (an fd from BPF_LINK_CREATE or BPF_RAW_TRACEPOINT_OPEN). Closing the last reference detaches
/// the program; pinning keeps it alive. May hold a companion resource (the perf event a perf link sits on).
/// </summary>
public sealed class BpfLink : IBpfLink
{
    private readonly IDisposable? _companion;

    internal BpfLink(BpfFd fd, string description, IDisposable? companion = null)
    {
        Fd = fd;
        Description = description;
        _companion = companion;
    }

    public string Description { get; }
    public bool IsBpfLink => true;

    /// <summary>The link's descriptor (owned by this object).</summary>
    public BpfFd Fd { get; }

    /// <summary>Takes ownership of a descriptor that refers to a link.</summary>
    public static BpfLink FromFd(BpfFd fd) => new(fd, $"link fd {fd.Value}");

    /// <summary>Opens a link pinned in bpffs.</summary>
    public static BpfLink FromPin(string path) => new(BpfSyscall.OpenPinned(path), "pinned link " + path);

    /// <summary>Opens a link by its kernel id (as `link list` shows it).</summary>
    public static BpfLink FromId(uint id) => new(BpfSyscall.GetFdById(BpfObjectKind.Link, id), $"link {id}");

    public void Pin(string path) => BpfSyscall.Pin(Fd, path);

    /// <summary>Detaches the program now (BPF_LINK_DETACH) even if other references or pins keep the link open.</summary>
    public void Detach() => BpfCalls.LinkDetach(Fd, Description);

    public BpfLinkInfo Info() => BpfLinkInfo.From(KernelObjectInfo.GetLinkInfo(Fd));

    /// <summary>Every bpf link in the kernel, walked by id (links that vanish during the walk are skipped).</summary>
    public static IReadOnlyList<BpfLinkInfo> List()
    {
        var result = new List<BpfLinkInfo>();
        foreach (var id in BpfSyscall.Ids(BpfObjectKind.Link))
        {
            using var fd = BpfSyscall.TryGetFdById(BpfObjectKind.Link, id);
            if (fd is not null)
                result.Add(BpfLinkInfo.From(KernelObjectInfo.GetLinkInfo(fd)));
        }
        return result;
    }

    public void Dispose()
    {
        Fd.Dispose();
        _companion?.Dispose();
    }

    public override string ToString() => Description;
}

/// <summary>
/// An attachment that is not a bpf link (netlink XDP, a tc filter, SO_ATTACH_BPF, PROG_ATTACH, a perf event with
/// PERF_EVENT_IOC_SET_BPF): disposing runs the detach action once and releases what it holds.
/// </summary>
public sealed class DetachableAttachment : IBpfLink
{
    private Action? _detach;

    internal DetachableAttachment(string description, Action detach)
    {
        Description = description;
        _detach = detach;
    }

    public string Description { get; }
    public bool IsBpfLink => false;

    public void Pin(string path) =>
        throw new BpfHookSpecException($"{Description} is not a bpf link and cannot be pinned (the kernel did not offer BPF_LINK_CREATE for it)");

    public void Dispose() => Interlocked.Exchange(ref _detach, null)?.Invoke();

    public override string ToString() => Description;
}
