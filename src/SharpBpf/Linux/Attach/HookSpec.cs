using System.Globalization;

namespace SharpBpf.Linux.Attach;

/// <summary>The kinds of hook a section name can name.</summary>
public enum HookKind
{
    Tracepoint,
    RawTracepoint,
    Uprobe,
    Kprobe,
    Xdp,
    Tc,
    Cgroup,
    SocketFilter,
    Usdt,
    KprobeMulti,
}

/// <summary>
/// What a libbpf-style section name says about where a program attaches: "tracepoint/syscalls/sys_enter_getpid",
/// "raw_tp/sys_enter", "uretprobe/libc.so.6:malloc", "kprobe/do_sys_open+16", "xdp", "tcx/ingress",
/// "cgroup_skb/egress", "socket". Parsing is pure; <see cref="AutoAttach"/> acts on the result.
/// </summary>
/// <param name="Target">tracepoint "cat/name", raw tracepoint or kernel function name, uprobe or USDT binary; else null.</param>
/// <param name="Symbol">uprobe symbol (may be versioned, or empty for a raw <see cref="Offset"/>), or USDT probe name.</param>
/// <param name="Provider">USDT provider.</param>
public sealed record HookSpec(HookKind Kind, string? Target = null, string? Symbol = null, ulong Offset = 0,
    bool Return = false, TcDirection? Direction = null, BpfAttachType? AttachType = null, string? Provider = null)
{
    private static readonly Dictionary<string, BpfAttachType> CgroupSections = new()
    {
        ["cgroup_skb/ingress"] = BpfAttachType.CgroupInetIngress,
        ["cgroup_skb/egress"] = BpfAttachType.CgroupInetEgress,
        ["cgroup/sock"] = BpfAttachType.CgroupInetSockCreate,
        ["cgroup/sock_create"] = BpfAttachType.CgroupInetSockCreate,
        ["cgroup/sock_release"] = BpfAttachType.CgroupInetSockRelease,
        ["cgroup/post_bind4"] = BpfAttachType.CgroupInet4PostBind,
        ["cgroup/post_bind6"] = BpfAttachType.CgroupInet6PostBind,
        ["cgroup/bind4"] = BpfAttachType.CgroupInet4Bind,
        ["cgroup/bind6"] = BpfAttachType.CgroupInet6Bind,
        ["cgroup/connect4"] = BpfAttachType.CgroupInet4Connect,
        ["cgroup/connect6"] = BpfAttachType.CgroupInet6Connect,
        ["cgroup/getpeername4"] = BpfAttachType.CgroupInet4Getpeername,
        ["cgroup/getpeername6"] = BpfAttachType.CgroupInet6Getpeername,
        ["cgroup/getsockname4"] = BpfAttachType.CgroupInet4Getsockname,
        ["cgroup/getsockname6"] = BpfAttachType.CgroupInet6Getsockname,
    };

    /// <summary>Parses a section name; throws <see cref="BpfHookSpecException"/> for names that name no attachable hook.</summary>
    public static HookSpec Parse(string section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var slash = section.IndexOf('/');
        var prefix = slash < 0 ? section : section[..slash];
        var rest = slash < 0 ? null : section[(slash + 1)..];
        switch (prefix)
        {
            case "tracepoint" or "tp":
                if (rest is null || rest.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
                    throw Bad(section, "tracepoint sections are tracepoint/<category>/<name>, e.g. tracepoint/syscalls/sys_enter_getpid");
                return new HookSpec(HookKind.Tracepoint, rest);
            case "raw_tracepoint" or "raw_tp" or "raw_tracepoint.w" or "raw_tp.w":
                if (string.IsNullOrEmpty(rest) || rest.Contains('/'))
                    throw Bad(section, "raw tracepoint sections are raw_tp/<name>, e.g. raw_tp/sys_enter");
                return new HookSpec(HookKind.RawTracepoint, rest);
            case "kprobe" or "kretprobe":
                if (string.IsNullOrEmpty(rest))
                    throw Bad(section, $"{prefix} sections name a function: {prefix}/<function>[+offset]");
                var (function, offset) = SplitOffset(section, rest);
                return new HookSpec(HookKind.Kprobe, function, Offset: offset, Return: prefix == "kretprobe");
            case "kprobe.multi" or "kretprobe.multi":
                if (string.IsNullOrEmpty(rest))
                    throw Bad(section, $"{prefix} sections name a function pattern: {prefix}/<pattern> (e.g. {prefix}/vfs_*)");
                return new HookSpec(HookKind.KprobeMulti, rest, Return: prefix == "kretprobe.multi");
            case "uprobe" or "uretprobe" or "uprobe.s" or "uretprobe.s":
                return ParseUprobe(section, prefix.StartsWith("uretprobe", StringComparison.Ordinal), rest);
            case "usdt" or "usdt.s":
                return ParseUsdt(section, rest);
            case "xdp" or "xdp.frags":
                return rest switch
                {
                    null or "" => new HookSpec(HookKind.Xdp),
                    "devmap" or "cpumap" => throw Bad(section, $"xdp/{rest} programs run from a {rest}, not attached to an interface"),
                    _ => throw Bad(section, "xdp sections are xdp or xdp.frags"),
                };
            case "tc" or "classifier" or "tcx":
                return rest switch
                {
                    null or "" => new HookSpec(HookKind.Tc),
                    "ingress" => new HookSpec(HookKind.Tc, Direction: TcDirection.Ingress),
                    "egress" => new HookSpec(HookKind.Tc, Direction: TcDirection.Egress),
                    _ => throw Bad(section, "tc sections are tc, tc/ingress, tc/egress, tcx/ingress or tcx/egress"),
                };
            case "socket":
                return new HookSpec(HookKind.SocketFilter);
            case "cgroup_skb" or "cgroup":
                if (CgroupSections.TryGetValue(section, out var type))
                    return new HookSpec(HookKind.Cgroup, AttachType: type);
                throw Bad(section, "known cgroup sections: " + string.Join(", ", CgroupSections.Keys));
            default:
                throw Bad(section, "SharpBpf attaches tracepoint/, tp/, raw_tp/, raw_tracepoint/, uprobe/, uretprobe/, usdt/, kprobe/, kprobe.multi/, kretprobe/, xdp, tc, tcx/, cgroup_skb/, cgroup/ and socket programs");
        }
    }

    private static HookSpec ParseUprobe(string section, bool ret, string? rest)
    {
        // uprobe/<binary>:<symbol>[+offset], uprobe/<binary>:0x<offset>; the binary may be a path ("uprobe//usr/bin/x:f").
        if (string.IsNullOrEmpty(rest))
            throw Bad(section, "this uprobe section names no target: give the binary and symbol to Uprobe.Attach, or use uprobe/<binary>:<symbol>");
        var colon = rest.LastIndexOf(':');
        if (colon <= 0 || colon == rest.Length - 1)
            throw Bad(section, "uprobe sections are uprobe/<binary>:<symbol>[+offset] (e.g. uprobe/libc.so.6:malloc)");
        var binary = rest[..colon];
        var what = rest[(colon + 1)..];
        if (what.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            if (!ulong.TryParse(what.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var raw))
                throw Bad(section, $"'{what}' is not a hexadecimal offset");
            return new HookSpec(HookKind.Uprobe, binary, "", raw, ret);
        }
        var (symbol, offset) = SplitOffset(section, what);
        return new HookSpec(HookKind.Uprobe, binary, symbol, offset, ret);
    }

    private static HookSpec ParseUsdt(string section, string? rest)
    {
        // usdt/<binary>:<provider>:<name>; the binary may itself contain ':' (split from the right).
        var last = rest?.LastIndexOf(':') ?? -1;
        var middle = last > 0 ? rest!.LastIndexOf(':', last - 1) : -1;
        if (middle <= 0 || last == middle + 1 || last == rest!.Length - 1)
            throw Bad(section, "usdt sections are usdt/<binary>:<provider>:<name> (e.g. usdt/libc.so.6:libc:setjmp)");
        return new HookSpec(HookKind.Usdt, rest[..middle], rest[(last + 1)..], Provider: rest[(middle + 1)..last]);
    }

    private static (string Name, ulong Offset) SplitOffset(string section, string text)
    {
        var plus = text.IndexOf('+');
        if (plus < 0)
            return (text, 0);
        var number = text[(plus + 1)..];
        var ok = number.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(number.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var offset)
            : ulong.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out offset);
        if (!ok || plus == 0)
            throw Bad(section, $"'{text}' is not <name>+<offset>");
        return (text[..plus], offset);
    }

    private static BpfHookSpecException Bad(string section, string why) => new($"section '{section}': {why}");
}
