using SharpBpf.Native;
using System.Buffers.Binary;

namespace SharpBpf.Linux.Netlink;

/// <summary>One program attached to an interface (as `net list` prints it).</summary>
/// <param name="Hook">"xdp", "tc" (a cls_bpf filter) or "tcx" (a tcx link).</param>
/// <param name="Mode">xdp: "driver", "generic" or "offload"; tc: "clsact/ingress" or "clsact/egress"; tcx: "tcx/ingress" or "tcx/egress".</param>
public sealed record NetAttachment(string Interface, int Ifindex, string Hook, string Mode, uint ProgramId,
    string? Name = null, uint Priority = 0, uint Handle = 0);

/// <summary>
/// The rtnetlink requests hooks need: XDP through IFLA_XDP, a clsact qdisc and bpf tc filters, and dumps of both
/// for listing. Every call opens its own short-lived socket.
/// </summary>
internal static class RtNetlink
{
    private const ushort RTM_NEWLINK = 16, RTM_GETLINK = 18, RTM_SETLINK = 19, RTM_NEWQDISC = 36, RTM_DELQDISC = 37,
        RTM_NEWTFILTER = 44, RTM_DELTFILTER = 45, RTM_GETTFILTER = 46;
    private const ushort IFLA_IFNAME = 3, IFLA_XDP = 43;
    private const ushort IFLA_XDP_FD = 1, IFLA_XDP_ATTACHED = 2, IFLA_XDP_FLAGS = 3, IFLA_XDP_PROG_ID = 4,
        IFLA_XDP_DRV_PROG_ID = 5, IFLA_XDP_SKB_PROG_ID = 6, IFLA_XDP_HW_PROG_ID = 7;
    private const ushort TCA_KIND = 1, TCA_OPTIONS = 2;
    private const ushort TCA_BPF_FD = 6, TCA_BPF_NAME = 7, TCA_BPF_FLAGS = 8, TCA_BPF_ID = 11;
    private const uint TCA_BPF_FLAG_ACT_DIRECT = 1;
    public const uint TC_H_CLSACT = 0xFFFFFFF1, TC_H_MIN_INGRESS = 0xFFF2, TC_H_MIN_EGRESS = 0xFFF3;
    private const uint XDP_FLAGS_UPDATE_IF_NOEXIST = 1;
    private const ushort ETH_P_ALL = 3;
    private const int IfInfoSize = 16, TcMsgSize = 20;

    /// <summary>The index of <paramref name="name"/> in this process's network namespace.</summary>
    public static int IfIndex(string name)
    {
        var index = LibC.if_nametoindex(name);
        if (index == 0)
            throw new BpfHookSpecException($"no network interface '{name}' in this network namespace");
        return (int)index;
    }

    private static byte[] IfInfo(int ifindex)
    {
        var b = new byte[IfInfoSize];
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), ifindex);
        return b;
    }

    private static byte[] TcMsg(int ifindex, uint handle, uint parent, uint info)
    {
        var b = new byte[TcMsgSize];
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), ifindex);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), handle);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(12), parent);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), info);
        return b;
    }

    /// <summary>Sets (progFd ≥ 0) or removes (progFd = -1) the XDP program of an interface through IFLA_XDP.</summary>
    public static void SetXdp(int ifindex, int progFd, XdpMode mode, bool replace = false)
    {
        var flags = (uint)mode | (replace || progFd < 0 ? 0 : XDP_FLAGS_UPDATE_IF_NOEXIST);
        var msg = new NetlinkMessageBuilder(RTM_SETLINK, NetlinkMessageBuilder.NLM_F_REQUEST | NetlinkMessageBuilder.NLM_F_ACK, IfInfo(ifindex))
            .BeginNest(IFLA_XDP).S32(IFLA_XDP_FD, progFd).U32(IFLA_XDP_FLAGS, flags).EndNest();
        using var nl = new NetlinkSocket();
        nl.Execute(msg, progFd < 0 ? $"remove XDP ({mode}) from ifindex {ifindex}" : $"attach XDP ({mode}) to ifindex {ifindex}");
    }

    /// <summary>Adds the clsact qdisc to an interface; false when it was already there.</summary>
    public static bool AddClsact(int ifindex)
    {
        var msg = new NetlinkMessageBuilder(RTM_NEWQDISC,
                NetlinkMessageBuilder.NLM_F_REQUEST | NetlinkMessageBuilder.NLM_F_ACK | NetlinkMessageBuilder.NLM_F_CREATE | NetlinkMessageBuilder.NLM_F_EXCL,
                TcMsg(ifindex, 0xFFFF0000, TC_H_CLSACT, 0))
            .String(TCA_KIND, "clsact");
        using var nl = new NetlinkSocket();
        try
        {
            nl.Execute(msg, $"add clsact qdisc on ifindex {ifindex}");
            return true;
        }
        catch (NetlinkException e) when (e.ErrorNumber == Errno.EEXIST)
        {
            return false;
        }
    }

    public static void DeleteClsact(int ifindex)
    {
        var msg = new NetlinkMessageBuilder(RTM_DELQDISC, NetlinkMessageBuilder.NLM_F_REQUEST | NetlinkMessageBuilder.NLM_F_ACK,
                TcMsg(ifindex, 0xFFFF0000, TC_H_CLSACT, 0))
            .String(TCA_KIND, "clsact");
        using var nl = new NetlinkSocket();
        nl.Execute(msg, $"delete clsact qdisc on ifindex {ifindex}");
    }

    private static uint Parent(bool ingress) => 0xFFFF0000 | (ingress ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS);
    private static uint Info(ushort priority) => ((uint)priority << 16) | BinaryPrimitives.ReverseEndianness(ETH_P_ALL);

    /// <summary>Adds a direct-action bpf filter under clsact ingress/egress (handle, priority as `tc filter` uses them).</summary>
    public static void AddBpfFilter(int ifindex, bool ingress, int progFd, string name, ushort priority = 1, uint handle = 1)
    {
        var msg = new NetlinkMessageBuilder(RTM_NEWTFILTER,
                NetlinkMessageBuilder.NLM_F_REQUEST | NetlinkMessageBuilder.NLM_F_ACK | NetlinkMessageBuilder.NLM_F_CREATE | NetlinkMessageBuilder.NLM_F_EXCL,
                TcMsg(ifindex, handle, Parent(ingress), Info(priority)))
            .String(TCA_KIND, "bpf")
            .BeginNest(TCA_OPTIONS).U32(TCA_BPF_FD, (uint)progFd).String(TCA_BPF_NAME, name).U32(TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT).EndNest();
        using var nl = new NetlinkSocket();
        nl.Execute(msg, $"add tc bpf filter ({(ingress ? "ingress" : "egress")}) on ifindex {ifindex}");
    }

    public static void DeleteBpfFilter(int ifindex, bool ingress, ushort priority = 1, uint handle = 1)
    {
        var msg = new NetlinkMessageBuilder(RTM_DELTFILTER, NetlinkMessageBuilder.NLM_F_REQUEST | NetlinkMessageBuilder.NLM_F_ACK,
                TcMsg(ifindex, handle, Parent(ingress), Info(priority)))
            .String(TCA_KIND, "bpf");
        using var nl = new NetlinkSocket();
        nl.Execute(msg, $"delete tc bpf filter ({(ingress ? "ingress" : "egress")}) on ifindex {ifindex}");
    }

    /// <summary>Interfaces of this namespace with their XDP attachments (RTM_GETLINK dump).</summary>
    public static IReadOnlyList<(int Ifindex, string Name, List<NetAttachment> Xdp)> Links()
    {
        var msg = new NetlinkMessageBuilder(RTM_GETLINK, NetlinkMessageBuilder.NLM_F_REQUEST | NetlinkMessageBuilder.NLM_F_DUMP, IfInfo(0));
        using var nl = new NetlinkSocket();
        var result = new List<(int, string, List<NetAttachment>)>();
        foreach (var m in nl.Dump(msg, "dump links"))
        {
            if (m.Type != RTM_NEWLINK || m.Payload.Length < IfInfoSize)
                continue;
            var index = BinaryPrimitives.ReadInt32LittleEndian(m.Payload.Span[4..]);
            var attrs = m.Attributes(IfInfoSize);
            var name = attrs.Find(IFLA_IFNAME)?.String ?? index.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var xdp = new List<NetAttachment>();
            if (attrs.Find(IFLA_XDP) is { } x)
            {
                var nested = x.Nested;
                void Add(ushort attr, string mode)
                {
                    if (nested.Find(attr) is { } id && id.U32 != 0)
                        xdp.Add(new NetAttachment(name, index, "xdp", mode, id.U32));
                }
                var attached = nested.Find(IFLA_XDP_ATTACHED)?.U8 ?? 0;
                if (attached == 4) // XDP_ATTACHED_MULTI: one per mode
                {
                    Add(IFLA_XDP_SKB_PROG_ID, "generic");
                    Add(IFLA_XDP_DRV_PROG_ID, "driver");
                    Add(IFLA_XDP_HW_PROG_ID, "offload");
                }
                else if (attached != 0)
                    Add(IFLA_XDP_PROG_ID, attached switch { 1 => "driver", 2 => "generic", 3 => "offload", _ => "unknown" });
            }
            result.Add((index, name, xdp));
        }
        return result;
    }

    /// <summary>The classic bpf tc filters under clsact ingress or egress of an interface (RTM_GETTFILTER dump).</summary>
    public static IReadOnlyList<NetAttachment> BpfFilters(int ifindex, string ifname, bool ingress)
    {
        var msg = new NetlinkMessageBuilder(RTM_GETTFILTER, NetlinkMessageBuilder.NLM_F_REQUEST | NetlinkMessageBuilder.NLM_F_DUMP,
            TcMsg(ifindex, 0, Parent(ingress), 0));
        using var nl = new NetlinkSocket();
        var result = new List<NetAttachment>();
        IReadOnlyList<NetlinkMessage> replies;
        try
        {
            replies = nl.Dump(msg, $"dump tc filters on {ifname}");
        }
        catch (NetlinkException e) when (e.ErrorNumber is Errno.EINVAL or Errno.ENOENT)
        {
            return result;  // no clsact qdisc on this interface
        }
        foreach (var m in replies)
        {
            var attrs = m.Attributes(TcMsgSize);
            if (attrs.Find(TCA_KIND)?.String != "bpf" || attrs.Find(TCA_OPTIONS) is not { } options)
                continue;
            var nested = options.Nested;
            if (nested.Find(TCA_BPF_ID) is not { } id)
                continue;
            var span = m.Payload.Span;
            var handle = BinaryPrimitives.ReadUInt32LittleEndian(span[8..]);
            var info = BinaryPrimitives.ReadUInt32LittleEndian(span[16..]);
            result.Add(new NetAttachment(ifname, ifindex, "tc", ingress ? "clsact/ingress" : "clsact/egress", id.U32,
                nested.Find(TCA_BPF_NAME)?.String, info >> 16, handle));
        }
        return result;
    }
}
