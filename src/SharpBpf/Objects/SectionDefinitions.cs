namespace SharpBpf.Objects;

/// <summary>What a program's ELF section name implies, as libbpf interprets SEC("...") names.</summary>
/// <param name="Prefix">The pattern matched: exact (<c>"xdp"</c>), prefix with '/' (<c>"kprobe/"</c>-style, written
/// with a trailing '+' meaning "exact, or followed by /extras").</param>
public sealed record SectionDefinition(string Prefix, BpfProgramType Type, BpfAttachType? AttachType, SectionFlags Flags)
{
    /// <summary>True when <paramref name="section"/> matches this definition.</summary>
    public bool Matches(string section)
    {
        if (Prefix.EndsWith('/'))
            return section.StartsWith(Prefix, StringComparison.Ordinal);
        if (Prefix.EndsWith('+'))
        {
            var stem = Prefix.AsSpan(0, Prefix.Length - 1);
            return section.AsSpan().StartsWith(stem, StringComparison.Ordinal)
                && (section.Length == stem.Length || section[stem.Length] == '/');
        }
        return section == Prefix;
    }
}

/// <summary>How libbpf treats a section definition beyond its types.</summary>
[Flags]
public enum SectionFlags
{
    None = 0,
    /// <summary>The expected attach type is optional for old kernels.</summary>
    AttachTypeOptional = 1,
    Attachable = 2,
    /// <summary>The part after '/' names a BTF type (function, tracepoint) to attach to.</summary>
    AttachBtf = 4,
    Sleepable = 8,
    /// <summary>XDP program that accepts multi-buffer packets (BPF_F_XDP_HAS_FRAGS).</summary>
    XdpFrags = 16,
    Usdt = 32,
}

/// <summary>
/// The one table from section names to program type, expected attach type and flags, in libbpf's order
/// (the first match wins, so specific names precede general ones).
/// </summary>
public static class SectionDefinitions
{
    private const SectionFlags None = SectionFlags.None;
    private const SectionFlags Attachable = SectionFlags.Attachable;
    private const SectionFlags AttachableOpt = SectionFlags.Attachable | SectionFlags.AttachTypeOptional;
    private const SectionFlags Btf = SectionFlags.AttachBtf;
    private const SectionFlags Sleep = SectionFlags.Sleepable;

    /// <summary>BPF_F_XDP_HAS_FRAGS: the program flag an <c>xdp.frags</c> section asks for.</summary>
    public const uint XdpHasFragsFlag = 1u << 5;
    /// <summary>BPF_F_SLEEPABLE: the program flag a sleepable section (<c>fentry.s/</c>, <c>syscall</c>) asks for.</summary>
    public const uint SleepableFlag = 1u << 4;

    public static IReadOnlyList<SectionDefinition> All { get; } =
    [
        new("socket", BpfProgramType.SocketFilter, null, None),
        new("sk_reuseport/migrate", BpfProgramType.SkReuseport, BpfAttachType.SkReuseportSelectOrMigrate, Attachable),
        new("sk_reuseport", BpfProgramType.SkReuseport, BpfAttachType.SkReuseportSelect, Attachable),
        new("kprobe+", BpfProgramType.Kprobe, null, None),
        new("uprobe+", BpfProgramType.Kprobe, null, None),
        new("uprobe.s+", BpfProgramType.Kprobe, null, Sleep),
        new("kretprobe+", BpfProgramType.Kprobe, null, None),
        new("uretprobe+", BpfProgramType.Kprobe, null, None),
        new("uretprobe.s+", BpfProgramType.Kprobe, null, Sleep),
        new("kprobe.multi+", BpfProgramType.Kprobe, BpfAttachType.TraceKprobeMulti, None),
        new("kretprobe.multi+", BpfProgramType.Kprobe, BpfAttachType.TraceKprobeMulti, None),
        new("kprobe.session+", BpfProgramType.Kprobe, BpfAttachType.TraceKprobeSession, None),
        new("uprobe.multi+", BpfProgramType.Kprobe, BpfAttachType.TraceUprobeMulti, None),
        new("uretprobe.multi+", BpfProgramType.Kprobe, BpfAttachType.TraceUprobeMulti, None),
        new("uprobe.multi.s+", BpfProgramType.Kprobe, BpfAttachType.TraceUprobeMulti, Sleep),
        new("uretprobe.multi.s+", BpfProgramType.Kprobe, BpfAttachType.TraceUprobeMulti, Sleep),
        new("ksyscall+", BpfProgramType.Kprobe, null, None),
        new("kretsyscall+", BpfProgramType.Kprobe, null, None),
        new("usdt+", BpfProgramType.Kprobe, null, SectionFlags.Usdt),
        new("usdt.s+", BpfProgramType.Kprobe, null, SectionFlags.Usdt | Sleep),
        new("tc/ingress", BpfProgramType.SchedCls, BpfAttachType.TcxIngress, None),
        new("tc/egress", BpfProgramType.SchedCls, BpfAttachType.TcxEgress, None),
        new("tcx/ingress", BpfProgramType.SchedCls, BpfAttachType.TcxIngress, None),
        new("tcx/egress", BpfProgramType.SchedCls, BpfAttachType.TcxEgress, None),
        new("tc", BpfProgramType.SchedCls, null, None),
        new("classifier", BpfProgramType.SchedCls, null, None),
        new("action", BpfProgramType.SchedAct, null, None),
        new("netkit/primary", BpfProgramType.SchedCls, BpfAttachType.NetkitPrimary, None),
        new("netkit/peer", BpfProgramType.SchedCls, BpfAttachType.NetkitPeer, None),
        new("tracepoint+", BpfProgramType.Tracepoint, null, None),
        new("tp+", BpfProgramType.Tracepoint, null, None),
        new("tracepoint.s+", BpfProgramType.Tracepoint, null, Sleep),
        new("tp.s+", BpfProgramType.Tracepoint, null, Sleep),
        new("raw_tracepoint+", BpfProgramType.RawTracepoint, null, None),
        new("raw_tp+", BpfProgramType.RawTracepoint, null, None),
        new("raw_tracepoint.s+", BpfProgramType.RawTracepoint, null, Sleep),
        new("raw_tp.s+", BpfProgramType.RawTracepoint, null, Sleep),
        new("raw_tracepoint.w+", BpfProgramType.RawTracepointWritable, null, None),
        new("raw_tp.w+", BpfProgramType.RawTracepointWritable, null, None),
        new("tp_btf+", BpfProgramType.Tracing, BpfAttachType.TraceRawTp, Btf),
        new("tp_btf.s+", BpfProgramType.Tracing, BpfAttachType.TraceRawTp, Btf | Sleep),
        new("fentry+", BpfProgramType.Tracing, BpfAttachType.TraceFentry, Btf),
        new("fmod_ret+", BpfProgramType.Tracing, BpfAttachType.ModifyReturn, Btf),
        new("fexit+", BpfProgramType.Tracing, BpfAttachType.TraceFexit, Btf),
        new("fentry.s+", BpfProgramType.Tracing, BpfAttachType.TraceFentry, Btf | Sleep),
        new("fmod_ret.s+", BpfProgramType.Tracing, BpfAttachType.ModifyReturn, Btf | Sleep),
        new("fexit.s+", BpfProgramType.Tracing, BpfAttachType.TraceFexit, Btf | Sleep),
        new("freplace+", BpfProgramType.Ext, null, Btf),
        new("lsm+", BpfProgramType.Lsm, BpfAttachType.LsmMac, Btf),
        new("lsm.s+", BpfProgramType.Lsm, BpfAttachType.LsmMac, Btf | Sleep),
        new("lsm_cgroup+", BpfProgramType.Lsm, BpfAttachType.LsmCgroup, Btf),
        new("iter+", BpfProgramType.Tracing, BpfAttachType.TraceIter, Btf),
        new("iter.s+", BpfProgramType.Tracing, BpfAttachType.TraceIter, Btf | Sleep),
        new("syscall", BpfProgramType.Syscall, null, Sleep),
        new("xdp.frags/devmap", BpfProgramType.Xdp, BpfAttachType.XdpDevmap, SectionFlags.XdpFrags),
        new("xdp/devmap", BpfProgramType.Xdp, BpfAttachType.XdpDevmap, Attachable),
        new("xdp.frags/cpumap", BpfProgramType.Xdp, BpfAttachType.XdpCpumap, SectionFlags.XdpFrags),
        new("xdp/cpumap", BpfProgramType.Xdp, BpfAttachType.XdpCpumap, Attachable),
        new("xdp.frags", BpfProgramType.Xdp, BpfAttachType.Xdp, SectionFlags.XdpFrags),
        new("xdp", BpfProgramType.Xdp, BpfAttachType.Xdp, AttachableOpt),
        new("perf_event", BpfProgramType.PerfEvent, null, None),
        new("lwt_in", BpfProgramType.LwtIn, null, None),
        new("lwt_out", BpfProgramType.LwtOut, null, None),
        new("lwt_xmit", BpfProgramType.LwtXmit, null, None),
        new("lwt_seg6local", BpfProgramType.LwtSeg6local, null, None),
        new("sockops", BpfProgramType.SockOps, BpfAttachType.CgroupSockOps, AttachableOpt),
        new("sk_skb/stream_parser", BpfProgramType.SkSkb, BpfAttachType.SkSkbStreamParser, AttachableOpt),
        new("sk_skb/stream_verdict", BpfProgramType.SkSkb, BpfAttachType.SkSkbStreamVerdict, AttachableOpt),
        new("sk_skb/verdict", BpfProgramType.SkSkb, BpfAttachType.SkSkbVerdict, AttachableOpt),
        new("sk_skb", BpfProgramType.SkSkb, null, None),
        new("sk_msg", BpfProgramType.SkMsg, BpfAttachType.SkMsgVerdict, AttachableOpt),
        new("lirc_mode2", BpfProgramType.LircMode2, BpfAttachType.LircMode2, AttachableOpt),
        new("flow_dissector", BpfProgramType.FlowDissector, BpfAttachType.FlowDissector, AttachableOpt),
        new("cgroup_skb/ingress", BpfProgramType.CgroupSkb, BpfAttachType.CgroupInetIngress, AttachableOpt),
        new("cgroup_skb/egress", BpfProgramType.CgroupSkb, BpfAttachType.CgroupInetEgress, AttachableOpt),
        new("cgroup/skb", BpfProgramType.CgroupSkb, null, None),
        new("cgroup/sock_create", BpfProgramType.CgroupSock, BpfAttachType.CgroupInetSockCreate, Attachable),
        new("cgroup/sock_release", BpfProgramType.CgroupSock, BpfAttachType.CgroupInetSockRelease, Attachable),
        new("cgroup/sock", BpfProgramType.CgroupSock, BpfAttachType.CgroupInetSockCreate, AttachableOpt),
        new("cgroup/post_bind4", BpfProgramType.CgroupSock, BpfAttachType.CgroupInet4PostBind, Attachable),
        new("cgroup/post_bind6", BpfProgramType.CgroupSock, BpfAttachType.CgroupInet6PostBind, Attachable),
        new("cgroup/bind4", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupInet4Bind, Attachable),
        new("cgroup/bind6", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupInet6Bind, Attachable),
        new("cgroup/connect4", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupInet4Connect, Attachable),
        new("cgroup/connect6", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupInet6Connect, Attachable),
        new("cgroup/connect_unix", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUnixConnect, Attachable),
        new("cgroup/sendmsg4", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUdp4Sendmsg, Attachable),
        new("cgroup/sendmsg6", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUdp6Sendmsg, Attachable),
        new("cgroup/sendmsg_unix", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUnixSendmsg, Attachable),
        new("cgroup/recvmsg4", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUdp4Recvmsg, Attachable),
        new("cgroup/recvmsg6", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUdp6Recvmsg, Attachable),
        new("cgroup/recvmsg_unix", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUnixRecvmsg, Attachable),
        new("cgroup/getpeername4", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupInet4Getpeername, Attachable),
        new("cgroup/getpeername6", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupInet6Getpeername, Attachable),
        new("cgroup/getpeername_unix", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUnixGetpeername, Attachable),
        new("cgroup/getsockname4", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupInet4Getsockname, Attachable),
        new("cgroup/getsockname6", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupInet6Getsockname, Attachable),
        new("cgroup/getsockname_unix", BpfProgramType.CgroupSockAddr, BpfAttachType.CgroupUnixGetsockname, Attachable),
        new("cgroup/sysctl", BpfProgramType.CgroupSysctl, BpfAttachType.CgroupSysctl, Attachable),
        new("cgroup/getsockopt", BpfProgramType.CgroupSockopt, BpfAttachType.CgroupGetsockopt, Attachable),
        new("cgroup/setsockopt", BpfProgramType.CgroupSockopt, BpfAttachType.CgroupSetsockopt, Attachable),
        new("cgroup/dev", BpfProgramType.CgroupDevice, BpfAttachType.CgroupDevice, AttachableOpt),
        new("struct_ops+", BpfProgramType.StructOps, null, None),
        new("struct_ops.s+", BpfProgramType.StructOps, null, Sleep),
        new("sk_lookup", BpfProgramType.SkLookup, BpfAttachType.SkLookup, Attachable),
        new("netfilter", BpfProgramType.Netfilter, BpfAttachType.Netfilter, None),
    ];

    /// <summary>The first definition matching <paramref name="section"/> (a leading '?', "don't autoload", is ignored), or null.</summary>
    public static SectionDefinition? Find(string section)
    {
        if (section.StartsWith('?'))
            section = section[1..];
        foreach (var def in All)
            if (def.Matches(section))
                return def;
        return null;
    }

    /// <summary>The attach target a section name carries after its first '/', e.g. "syscalls/sys_enter_getpid"
    /// for "tracepoint/syscalls/sys_enter_getpid"; null when there is none.</summary>
    public static string? AttachTarget(string section)
    {
        if (section.StartsWith('?'))
            section = section[1..];
        int slash = section.IndexOf('/');
        if (slash < 0 || slash == section.Length - 1)
            return null;
        // tc/ingress, cgroup/connect4, xdp/devmap...: the part after '/' is part of the type, not a target.
        var def = Find(section);
        if (def is not null && !def.Prefix.EndsWith('+') && !def.Prefix.EndsWith('/'))
            return null;
        return section[(slash + 1)..];
    }
}
