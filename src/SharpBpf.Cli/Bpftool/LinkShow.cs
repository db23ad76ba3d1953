using SharpBpf.Linux.Attach;
using SharpBpf.Linux;
using SharpBpf.Text;
using System.Text;

namespace SharpBpf.Cli.Bpftool;

/// <summary>
/// `link show` as bpftool 7.1 prints it (plain, -j, -p): the header (id, type, program), the per-type details it
/// knows (raw tracepoint name, cgroup id and attach type, netns, tracing program type) and pinned paths. Link types
/// newer than bpftool 7.1 (tcx, netkit...) are named and, for tcx/netkit, shown with interface and attach type.
/// </summary>
public static class LinkShow
{
    private static readonly string[] LinkTypes =
    [
        "unspec", "raw_tracepoint", "tracing", "cgroup", "iter", "netns", "xdp", "perf_event", "kprobe_multi",
        "struct_ops", "netfilter", "tcx", "uprobe_multi", "netkit", "sockmap",
    ];

    /// <summary>A link as shown: its info, the program type for tracing links, and its pins.</summary>
    public sealed record Entry(BpfLinkInfo Info, ulong NetnsInode, string? ProgramType, IReadOnlyList<string> Pinned);

    /// <summary>libbpf's names of the link types, by value.</summary>
    public static IReadOnlyList<string> AllLinkTypeNames => LinkTypes;

    /// <summary>libbpf's name of a link type, or null for types it does not name.</summary>
    public static string? LinkTypeName(BpfLinkType type) => (uint)type < LinkTypes.Length ? LinkTypes[(uint)type] : null;

    /// <summary>libbpf's name of an attach type ("cgroup_inet_egress", "tcx_ingress"), derived from the one enum.</summary>
    public static string? AttachTypeName(BpfAttachType type)
    {
        if (!Enum.IsDefined(type))
            return null;
        var name = type.ToString();
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
                sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }

    public static Entry Describe(BpfFd fd, IReadOnlyDictionary<uint, List<string>>? pins = null)
    {
        var raw = KernelObjectInfo.GetLinkInfo(fd);
        var info = BpfLinkInfo.From(raw);
        string? programType = null;
        if (info.Type == BpfLinkType.Tracing)
        {
            using var prog = BpfSyscall.TryGetFdById(BpfObjectKind.Program, info.ProgramId);
            if (prog is not null)
                programType = BpfNames.ProgramType(KernelObjectInfo.GetProgramInfo(prog).Type);
        }
        var netns = info.Type == BpfLinkType.Netns && raw.Raw.Length > 0 ? (uint)raw.Raw[0] : 0UL;
        var pinned = pins is not null && pins.TryGetValue(info.Id, out var paths) ? (IReadOnlyList<string>)paths : [];
        return new Entry(info, netns, programType, pinned);
    }

    /// <summary>Every link in the kernel, in id order.</summary>
    public static List<Entry> All(IReadOnlyDictionary<uint, List<string>>? pins = null) =>
        BpftoolListing.DescribeAll(BpfObjectKind.Link, fd => Describe(fd, pins));

    public static void Render(TextWriter output, IReadOnlyList<Entry> entries, OutputFormat format, bool asArray) =>
        BpftoolListing.Render(output, entries, format, asArray, RenderPlain, RenderJson);

    private static string AttachType(BpfAttachType? type) =>
        type is { } t ? AttachTypeName(t) ?? ((uint)t).ToString(System.Globalization.CultureInfo.InvariantCulture) : "0";

    private static string Device(uint ifindex)
    {
        if (ifindex == 0)
            return "(detached)";
        return IfIndexToName(ifindex) is { } n ? $"{n}({ifindex})" : "(unknown)";
    }

    private static string? IfIndexToName(uint ifindex)
    {
        try
        {
            foreach (var dir in Directory.EnumerateDirectories("/sys/class/net"))
                if (File.ReadAllText(Path.Combine(dir, "ifindex")).Trim() == ifindex.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    return Path.GetFileName(dir);
        }
        catch (IOException)
        {
        }
        return null;
    }

    private static void RenderPlain(TextWriter o, Entry e)
    {
        var i = e.Info;
        o.Write($"{i.Id}: ");
        o.Write(LinkTypeName(i.Type) is { } type ? $"{type}  " : $"type {(uint)i.Type}  ");
        o.Write($"prog {i.ProgramId}  ");
        switch (i.Type)
        {
            case BpfLinkType.RawTracepoint:
                o.Write($"\n\ttp '{i.TracepointName}'  ");
                break;
            case BpfLinkType.Tracing:
                o.Write($"\n\tprog_type {e.ProgramType}  attach_type {AttachType(i.AttachType)}  ");
                break;
            case BpfLinkType.Cgroup:
                o.Write($"\n\tcgroup_id {i.CgroupId}  attach_type {AttachType(i.AttachType)}  ");
                break;
            case BpfLinkType.Netns:
                o.Write($"\n\tnetns_ino {e.NetnsInode}  attach_type {AttachType(i.AttachType)}  ");
                break;
            case BpfLinkType.Tcx or BpfLinkType.Netkit:
                o.Write($"\n\tifindex {Device(i.Ifindex)}  attach_type {AttachType(i.AttachType)}  ");
                break;
        }
        foreach (var path in e.Pinned)
            o.Write($"\n\tpinned {path}");
        o.Write('\n');
    }

    private static void RenderJson(BpftoolJsonWriter j, Entry e)
    {
        var i = e.Info;
        j.StartObject();
        j.Field("id", i.Id);
        if (LinkTypeName(i.Type) is { } type)
            j.Field("type", type);
        else
            j.Field("type", (ulong)i.Type);
        j.Field("prog_id", i.ProgramId);
        void Attach()
        {
            if (i.AttachType is { } t && AttachTypeName(t) is { } name)
                j.Field("attach_type", name);
            else
                j.Field("attach_type", (ulong)(i.AttachType ?? 0));
        }
        switch (i.Type)
        {
            case BpfLinkType.RawTracepoint:
                j.Field("tp_name", i.TracepointName ?? "");
                break;
            case BpfLinkType.Tracing:
                j.Field("prog_type", e.ProgramType ?? "");
                Attach();
                break;
            case BpfLinkType.Cgroup:
                j.Field("cgroup_id", i.CgroupId);
                Attach();
                break;
            case BpfLinkType.Netns:
                j.Field("netns_ino", e.NetnsInode);
                Attach();
                break;
            case BpfLinkType.Tcx or BpfLinkType.Netkit:
                j.Field("devname", IfIndexToName(i.Ifindex) ?? (i.Ifindex == 0 ? "(detached)" : "(unknown)"));
                j.Field("ifindex", (ulong)i.Ifindex);
                Attach();
                break;
        }
        if (e.Pinned.Count > 0)
        {
            j.Name("pinned");
            j.StartArray();
            foreach (var path in e.Pinned)
                j.String(path);
            j.EndArray();
        }
        j.EndObject();
    }
}
