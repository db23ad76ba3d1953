namespace SharpBpf;

/// <summary>
/// bpftool's (libbpf's <c>libbpf_bpf_*_type_str</c>) spellings of map, program and attach types: "hash", "percpu_array",
/// "sched_cls"... One table per enum, indexed by the kernel's value, used by object show, map show, prog show and prog run.
/// </summary>
public static class BpfNames
{
    private static readonly string[] MapTypes =
    [
        "unspec", "hash", "array", "prog_array", "perf_event_array", "percpu_hash", "percpu_array", "stack_trace",
        "cgroup_array", "lru_hash", "lru_percpu_hash", "lpm_trie", "array_of_maps", "hash_of_maps", "devmap", "sockmap",
        "cpumap", "xskmap", "sockhash", "cgroup_storage", "reuseport_sockarray", "percpu_cgroup_storage", "queue", "stack",
        "sk_storage", "devmap_hash", "struct_ops", "ringbuf", "inode_storage", "task_storage", "bloom_filter",
        "user_ringbuf", "cgrp_storage", "arena",
    ];

    private static readonly string[] ProgramTypes =
    [
        "unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint", "xdp", "perf_event", "cgroup_skb",
        "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit", "sock_ops", "sk_skb", "cgroup_device", "sk_msg", "raw_tracepoint",
        "cgroup_sock_addr", "lwt_seg6local", "lirc_mode2", "sk_reuseport", "flow_dissector", "cgroup_sysctl",
        "raw_tracepoint_writable", "cgroup_sockopt", "tracing", "struct_ops", "ext", "lsm", "sk_lookup", "syscall",
        "netfilter",
    ];

    private static readonly string[] AttachTypes =
    [
        "cgroup_inet_ingress", "cgroup_inet_egress", "cgroup_inet_sock_create", "cgroup_sock_ops",
        "sk_skb_stream_parser", "sk_skb_stream_verdict", "cgroup_device", "sk_msg_verdict", "cgroup_inet4_bind",
        "cgroup_inet6_bind", "cgroup_inet4_connect", "cgroup_inet6_connect", "cgroup_inet4_post_bind",
        "cgroup_inet6_post_bind", "cgroup_udp4_sendmsg", "cgroup_udp6_sendmsg", "lirc_mode2", "flow_dissector",
        "cgroup_sysctl", "cgroup_udp4_recvmsg", "cgroup_udp6_recvmsg", "cgroup_getsockopt", "cgroup_setsockopt",
        "trace_raw_tp", "trace_fentry", "trace_fexit", "modify_return", "lsm_mac", "trace_iter",
        "cgroup_inet4_getpeername", "cgroup_inet6_getpeername", "cgroup_inet4_getsockname", "cgroup_inet6_getsockname",
        "xdp_devmap", "cgroup_inet_sock_release", "xdp_cpumap", "sk_lookup", "xdp", "sk_skb_verdict",
        "sk_reuseport_select", "sk_reuseport_select_or_migrate", "perf_event", "trace_kprobe_multi", "lsm_cgroup",
        "struct_ops", "netfilter", "tcx_ingress", "tcx_egress", "trace_uprobe_multi", "cgroup_unix_connect",
        "cgroup_unix_sendmsg", "cgroup_unix_recvmsg", "cgroup_unix_getpeername", "cgroup_unix_getsockname",
        "netkit_primary", "netkit_peer", "trace_kprobe_session",
    ];

    /// <summary>The bpftool name of a map type, or null for a type this table does not know.</summary>
    public static string? MapTypeOrNull(BpfMapType type) => (uint)type < MapTypes.Length ? MapTypes[(uint)type] : null;

    /// <summary>The bpftool name of a program type, or null for a type this table does not know.</summary>
    public static string? ProgramTypeOrNull(BpfProgramType type) => (uint)type < ProgramTypes.Length ? ProgramTypes[(uint)type] : null;

    /// <summary>The bpftool name, or "type N" as bpftool prints unknown types.</summary>
    public static string MapType(BpfMapType type) => MapTypeOrNull(type) ?? $"type {(uint)type}";

    public static string ProgramType(BpfProgramType type) => ProgramTypeOrNull(type) ?? $"type {(uint)type}";

    public static bool TryParseMapType(string name, out BpfMapType type)
    {
        int i = Array.IndexOf(MapTypes, name);
        type = (BpfMapType)(uint)Math.Max(i, 0);
        return i > 0;
    }

    public static bool TryParseProgramType(string name, out BpfProgramType type)
    {
        int i = Array.IndexOf(ProgramTypes, name);
        type = (BpfProgramType)(uint)Math.Max(i, 0);
        return i > 0;
    }

    public static IReadOnlyList<string> AllMapTypes => MapTypes;
    public static IReadOnlyList<string> AllProgramTypes => ProgramTypes;
    public static IReadOnlyList<string> AllAttachTypes => AttachTypes;

    // The objects helper's spellings (unknown values as plain numbers, as object show prints them).

    /// <summary>"hash", "percpu_array", "lpm_trie", "ringbuf"...; unknown values print as their number.</summary>
    public static string Of(BpfMapType type) => Lookup(MapTypes, (uint)type);

    /// <summary>"xdp", "sched_cls", "tracepoint", "socket_filter"...</summary>
    public static string Of(BpfProgramType type) => Lookup(ProgramTypes, (uint)type);

    /// <summary>"xdp", "cgroup_inet_ingress", "trace_fentry"...</summary>
    public static string Of(BpfAttachType type) => Lookup(AttachTypes, (uint)type);

    /// <summary>The map type bpftool calls <paramref name="name"/>, or null.</summary>
    public static BpfMapType? ParseMapType(string name) => Find(MapTypes, name) is int i ? (BpfMapType)i : null;

    /// <summary>The program type bpftool calls <paramref name="name"/>, or null.</summary>
    public static BpfProgramType? ParseProgramType(string name) => Find(ProgramTypes, name) is int i ? (BpfProgramType)i : null;

    private static string Lookup(string[] names, uint value) => value < names.Length ? names[value] : value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static int? Find(string[] names, string name)
    {
        int i = Array.IndexOf(names, name);
        return i >= 0 ? i : null;
    }
}
