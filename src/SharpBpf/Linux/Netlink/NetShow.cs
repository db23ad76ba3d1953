
namespace SharpBpf.Linux.Netlink;

/// <summary>What `net list` shows for this network namespace: XDP programs, tc programs (cls_bpf filters and tcx links), the flow dissector.</summary>
public sealed record NetListing(IReadOnlyList<NetAttachment> Xdp, IReadOnlyList<NetAttachment> Tc, uint? FlowDissectorProgramId)
{
    /// <summary>Collects the attachments of every interface (or only <paramref name="device"/>) in this network namespace.</summary>
    public static NetListing Collect(string? device = null)
    {
        var filter = device is null ? (int?)null : RtNetlink.IfIndex(device);
        var xdp = new List<NetAttachment>();
        var tc = new List<NetAttachment>();
        foreach (var (index, name, links) in RtNetlink.Links())
        {
            if (filter is not null && index != filter)
                continue;
            xdp.AddRange(links);
            tc.AddRange(RtNetlink.BpfFilters(index, name, ingress: true));
            tc.AddRange(RtNetlink.BpfFilters(index, name, ingress: false));
            tc.AddRange(Tcx(index, name, BpfAttachType.TcxIngress, "tcx/ingress"));
            tc.AddRange(Tcx(index, name, BpfAttachType.TcxEgress, "tcx/egress"));
        }
        return new NetListing(xdp, tc, FlowDissector());
    }

    private static IEnumerable<NetAttachment> Tcx(int ifindex, string name, BpfAttachType type, string mode)
    {
        uint[] ids;
        try
        {
            ids = Attach.BpfCalls.QueryMultiProgram(ifindex, type, $"{mode} on {name}").Programs;
        }
        catch (BpfSyscallException e) when (e.ErrorNumber is Errno.EINVAL or Errno.ENODEV or Errno.EOPNOTSUPP)
        {
            yield break;  // no tcx on this kernel or device
        }
        foreach (var id in ids)
            yield return new NetAttachment(name, ifindex, "tcx", mode, id, ProgramName(id));
    }

    private static string? ProgramName(uint id)
    {
        using var fd = BpfSyscall.TryGetFdById(BpfObjectKind.Program, id);
        return fd is null ? null : KernelObjectInfo.GetProgramInfo(fd).Name;
    }

    private static uint? FlowDissector()
    {
        using var ns = File.OpenHandle("/proc/self/ns/net");
        try
        {
            var ids = ProgramQuery.AttachedPrograms(ns, BpfAttachType.FlowDissector);
            return ids.Length == 1 ? ids[0] : null;
        }
        catch (BpfSyscallException e) when (e.ErrorNumber == Errno.EINVAL)
        {
            return null;  // kernels that cannot query flow dissectors
        }
    }
}
