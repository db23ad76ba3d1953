namespace SharpBpf;

/// <summary>
/// bpftool's (libbpf's) spellings of map and program types: "hash", "percpu_array", "sched_cls"...
/// One table, indexed by the kernel's enum value.
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
}
