using SharpBpf.Text;
using SharpBpf.Linux.Bpftool;

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

    /// <summary>Writes the listing as bpftool 7.1 does (plain, -j or -p); tcx entries, which 7.1 does not know, follow the tc filters.</summary>
    public void Render(TextWriter output, OutputFormat format)
    {
        if (format == OutputFormat.Plain)
        {
            output.Write("xdp:\n");
            foreach (var x in Xdp)
                output.Write($"{x.Interface}({x.Ifindex}) {x.Mode} id {x.ProgramId}\n");
            output.Write("\ntc:\n");
            foreach (var t in Tc)
                output.Write($"{t.Interface}({t.Ifindex}) {t.Mode}{(t.Name is null ? "" : " " + t.Name)} id {t.ProgramId}\n");
            output.Write("\nflow_dissector:\n");
            if (FlowDissectorProgramId is { } fd)
                output.Write($"id {fd}\n");
            output.Write('\n');
            return;
        }
        var j = new BpftoolJsonWriter(output, format == OutputFormat.PrettyJson);
        j.StartArray();
        j.StartObject();
        j.Name("xdp");
        j.StartArray();
        foreach (var x in Xdp)
        {
            j.StartObject();
            j.Field("devname", x.Interface);
            j.Field("ifindex", (ulong)x.Ifindex);
            j.Field("mode", x.Mode);
            j.Field("id", x.ProgramId);
            j.EndObject();
        }
        j.EndArray();
        j.Name("tc");
        j.StartArray();
        foreach (var t in Tc)
        {
            j.StartObject();
            j.Field("devname", t.Interface);
            j.Field("ifindex", (ulong)t.Ifindex);
            j.Field("kind", t.Mode);
            if (t.Name is not null)
                j.Field("name", t.Name);
            j.Field("id", t.ProgramId);
            j.EndObject();
        }
        j.EndArray();
        j.Name("flow_dissector");
        j.StartArray();
        if (FlowDissectorProgramId is { } id)
        {
            j.StartObject();
            j.Field("id", id);
            j.EndObject();
        }
        j.EndArray();
        j.EndObject();
        j.EndArray();
        j.Finish();
    }
}
