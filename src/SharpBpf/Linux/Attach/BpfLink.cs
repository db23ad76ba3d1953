using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace SharpBpf.Linux.Attach;

/// <summary>The kernel's bpf_link types (enum bpf_link_type), as `link list` names them.</summary>
public enum BpfLinkType : uint
{
    Unspec = 0, RawTracepoint = 1, Tracing = 2, Cgroup = 3, Iter = 4, Netns = 5, Xdp = 6, PerfEvent = 7,
    KprobeMulti = 8, StructOps = 9, Netfilter = 10, Tcx = 11, UprobeMulti = 12, Netkit = 13, Sockmap = 14,
}

/// <summary>What BPF_OBJ_GET_INFO_BY_FD says about a link: its id, type, program and (for some types) target.</summary>
public sealed record BpfLinkInfo(uint Id, BpfLinkType Type, uint ProgramId, uint Ifindex, BpfAttachType? AttachType,
    ulong CgroupId, string? TracepointName);

/// <summary>
/// A kernel bpf link (an fd from BPF_LINK_CREATE or BPF_RAW_TRACEPOINT_OPEN). Closing the last reference detaches
/// the program; pinning keeps it alive. May hold a companion resource (the perf event a perf link sits on).
/// </summary>
public sealed class BpfLink : IBpfLink
{
    private readonly FdHandle _fd;
    private readonly IDisposable? _companion;

    internal BpfLink(FdHandle fd, string description, IDisposable? companion = null)
    {
        _fd = fd;
        Description = description;
        _companion = companion;
    }

    public string Description { get; }
    public bool IsBpfLink => true;

    /// <summary>The link's descriptor (owned by this object).</summary>
    public SafeHandle Handle => _fd;

    /// <summary>Opens a link pinned in bpffs.</summary>
    public static BpfLink FromPin(string path) => new(BpfCalls.ObjGet(path), "pinned link " + path);

    /// <summary>Opens a link by its kernel id (as `link list` shows it).</summary>
    public static BpfLink FromId(uint id) =>
        new(BpfCalls.FdById(BpfCalls.BPF_LINK_GET_FD_BY_ID, id) ?? throw new BpfAttachException($"BPF_LINK_GET_FD_BY_ID {id}", Errno.ENOENT, "no link with that id"),
            $"link {id}");

    public void Pin(string path)
    {
        using var lease = new FdLease(_fd, Description);
        BpfCalls.ObjPin(lease.Fd, path);
    }

    /// <summary>Detaches the program now (BPF_LINK_DETACH) even if other references or pins keep the link open.</summary>
    public void Detach()
    {
        using var lease = new FdLease(_fd, Description);
        BpfCalls.LinkDetach(lease.Fd);
    }

    public BpfLinkInfo Info()
    {
        using var lease = new FdLease(_fd, Description);
        return ReadInfo(lease.Fd);
    }

    internal static unsafe BpfLinkInfo ReadInfo(int fd)
    {
        Span<byte> info = stackalloc byte[96];
        info.Clear();
        var type = (BpfLinkType)0;
        // raw_tp: ask once for the name buffer pointer; other types ignore those bytes.
        var name = new byte[256];
        fixed (byte* n = name)
        {
            BpfCalls.GetInfo(fd, info);
            type = (BpfLinkType)BinaryPrimitives.ReadUInt32LittleEndian(info);
            if (type == BpfLinkType.RawTracepoint)
            {
                info.Clear();
                BinaryPrimitives.WriteUInt64LittleEndian(info[16..], (ulong)n);
                BinaryPrimitives.WriteUInt32LittleEndian(info[24..], (uint)name.Length);
                BpfCalls.GetInfo(fd, info);
            }
        }
        var id = BinaryPrimitives.ReadUInt32LittleEndian(info[4..]);
        var prog = BinaryPrimitives.ReadUInt32LittleEndian(info[8..]);
        uint ifindex = 0;
        ulong cgroup = 0;
        BpfAttachType? attach = null;
        string? tp = null;
        switch (type)
        {
            case BpfLinkType.Xdp:
                ifindex = BinaryPrimitives.ReadUInt32LittleEndian(info[16..]);
                attach = BpfAttachType.Xdp;
                break;
            case BpfLinkType.Tcx or BpfLinkType.Netkit:
                ifindex = BinaryPrimitives.ReadUInt32LittleEndian(info[16..]);
                attach = (BpfAttachType)BinaryPrimitives.ReadUInt32LittleEndian(info[20..]);
                break;
            case BpfLinkType.Cgroup:
                cgroup = BinaryPrimitives.ReadUInt64LittleEndian(info[16..]);
                attach = (BpfAttachType)BinaryPrimitives.ReadUInt32LittleEndian(info[24..]);
                break;
            case BpfLinkType.RawTracepoint:
                var len = Array.IndexOf(name, (byte)0);
                tp = System.Text.Encoding.UTF8.GetString(name, 0, len < 0 ? name.Length : len);
                break;
        }
        return new BpfLinkInfo(id, type, prog, ifindex, attach, cgroup, tp);
    }

    /// <summary>Every bpf link in the kernel, walked by id (links that vanish during the walk are skipped).</summary>
    public static IReadOnlyList<BpfLinkInfo> List()
    {
        var result = new List<BpfLinkInfo>();
        uint id = 0;
        while (BpfCalls.NextId(BpfCalls.BPF_LINK_GET_NEXT_ID, id, out id))
        {
            using var fd = BpfCalls.FdById(BpfCalls.BPF_LINK_GET_FD_BY_ID, id);
            if (fd is not null)
                result.Add(ReadInfo(fd.Fd));
        }
        return result;
    }

    public void Dispose()
    {
        _fd.Dispose();
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
