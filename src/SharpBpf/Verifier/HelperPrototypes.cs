namespace SharpBpf.Verifier;

/// <summary>What a helper argument must be (the kernel's bpf_arg_type, the kinds programs use).</summary>
public enum HelperArg : byte
{
    None,
    /// <summary>Any initialised value.</summary>
    Anything,
    MapPtr,
    /// <summary>Readable memory of the map's key size.</summary>
    MapKey,
    /// <summary>Readable memory of the map's value size.</summary>
    MapValue,
    /// <summary>Writable memory of the map's value size (pop, peek).</summary>
    UninitMapValue,
    /// <summary>Readable memory; its size is the next argument.</summary>
    Mem,
    /// <summary>Readable memory or NULL (then the size must be 0).</summary>
    MemOrNull,
    /// <summary>Memory the helper writes; its size is the next argument.</summary>
    UninitMem,
    /// <summary>The size of the previous memory argument, greater than zero.</summary>
    ConstSize,
    ConstSizeOrZero,
    /// <summary>A known constant size for an allocation (bpf_ringbuf_reserve).</summary>
    ConstAllocSizeOrZero,
    Ctx,
    /// <summary>A ring buffer reservation, released by the call.</summary>
    RingbufMemRelease,
    /// <summary>A callback function (bpf_loop, bpf_for_each_map_elem).</summary>
    Func,
    /// <summary>A pointer to the stack or NULL, passed on to the callback.</summary>
    StackOrNull,
    /// <summary>A pointer to a read-only, NUL-terminated string in a read-only map (.rodata).</summary>
    ConstString,
    /// <summary>A bpf_spin_lock inside a map value.</summary>
    SpinLock,
}

/// <summary>What a helper returns (the kernel's bpf_return_type).</summary>
public enum HelperReturn : byte
{
    Integer,
    Void,
    MapValueOrNull,
    /// <summary>A map value that is never NULL (bpf_get_local_storage).</summary>
    MapValue,
    RingbufMemOrNull,
    /// <summary>A BTF-typed kernel object (bpf_get_current_task_btf).</summary>
    BtfId,
}

[Flags]
public enum HelperFlags : byte
{
    None = 0,
    /// <summary>Only programs with a GPL-compatible license may call it.</summary>
    GplOnly = 1,
    /// <summary>It may move or resize the packet: every packet pointer is invalid afterwards.</summary>
    ChangesPacketData = 2,
}

/// <summary>A helper's signature: id and name (bpf_func_id), return type, argument types, flags.</summary>
public sealed record HelperPrototype(int Id, string Name, HelperReturn Returns, HelperArg[] Args, HelperFlags Flags)
{
    /// <summary>For map helpers: the map types the first argument may be (empty: any but those a lookup cannot use).</summary>
    public BpfMapType[] MapTypes { get; init; } = [];
}

/// <summary>
/// The helper prototypes (as the kernel's bpf_func_proto for each helper id): the one table the verifier checks
/// calls against and the VM's helper table describes its helpers with. Helpers without a row here are checked only
/// for initialised arguments and return an unknown scalar.
/// </summary>
public static class HelperPrototypes
{
    private static readonly Dictionary<int, HelperPrototype> ById = Build();

    public static HelperPrototype? Get(int id) => ById.GetValueOrDefault(id);

    public static IEnumerable<HelperPrototype> All => ById.Values.OrderBy(p => p.Id);

    private static Dictionary<int, HelperPrototype> Build()
    {
        const HelperArg A = HelperArg.Anything, Map = HelperArg.MapPtr, Ctx = HelperArg.Ctx, Key = HelperArg.MapKey,
            Mem = HelperArg.Mem, Out = HelperArg.UninitMem, Size = HelperArg.ConstSize, Size0 = HelperArg.ConstSizeOrZero;
        const HelperReturn I = HelperReturn.Integer;
        const HelperFlags Gpl = HelperFlags.GplOnly, Pkt = HelperFlags.ChangesPacketData, No = HelperFlags.None;
        BpfMapType[] queueStack = [BpfMapType.Queue, BpfMapType.Stack, BpfMapType.BloomFilter];
        BpfMapType[] ringbuf = [BpfMapType.Ringbuf];
        HelperPrototype[] rows =
        [
            P("map_lookup_elem", HelperReturn.MapValueOrNull, No, Map, Key),
            P("map_update_elem", I, No, Map, Key, HelperArg.MapValue, A),
            P("map_delete_elem", I, No, Map, Key),
            P("map_lookup_percpu_elem", HelperReturn.MapValueOrNull, No, Map, Key, A),
            P("map_push_elem", I, No, Map, HelperArg.MapValue, A) with { MapTypes = queueStack },
            P("map_pop_elem", I, No, Map, HelperArg.UninitMapValue) with { MapTypes = queueStack },
            P("map_peek_elem", I, No, Map, HelperArg.UninitMapValue) with { MapTypes = queueStack },
            P("probe_read", I, Gpl, Out, Size0, A),
            P("probe_read_str", I, Gpl, Out, Size0, A),
            P("probe_read_kernel", I, Gpl, Out, Size0, A),
            P("probe_read_kernel_str", I, Gpl, Out, Size0, A),
            P("probe_read_user", I, Gpl, Out, Size0, A),
            P("probe_read_user_str", I, Gpl, Out, Size0, A),
            P("ktime_get_ns", I, No),
            P("ktime_get_boot_ns", I, No),
            P("ktime_get_coarse_ns", I, No),
            P("ktime_get_tai_ns", I, No),
            P("jiffies64", I, No),
            P("trace_printk", I, Gpl, Mem, Size),
            P("trace_vprintk", I, Gpl, Mem, Size, HelperArg.MemOrNull, Size0),
            P("snprintf", I, No, Out, Size0, HelperArg.ConstString, HelperArg.MemOrNull, Size0),
            P("get_prandom_u32", I, No),
            P("get_smp_processor_id", I, No),
            P("get_numa_node_id", I, No),
            P("get_current_pid_tgid", I, No),
            P("get_current_uid_gid", I, No),
            P("get_current_comm", I, No, Out, Size),
            P("get_current_task", I, Gpl),
            P("get_current_task_btf", HelperReturn.BtfId, Gpl),
            P("get_current_cgroup_id", I, No),
            P("get_func_ip", I, No, Ctx),
            P("get_attach_cookie", I, No, Ctx),
            P("get_stackid", I, Gpl, Ctx, Map, A) with { MapTypes = [BpfMapType.StackTrace] },
            P("send_signal", I, No, A),
            P("tail_call", HelperReturn.Void, No, Ctx, Map, A) with { MapTypes = [BpfMapType.ProgArray] },
            P("perf_event_output", I, Gpl, Ctx, Map, A, Mem, Size0) with { MapTypes = [BpfMapType.PerfEventArray] },
            P("perf_event_read", I, Gpl, Map, A) with { MapTypes = [BpfMapType.PerfEventArray] },
            P("ringbuf_output", I, No, Map, Mem, Size0, A) with { MapTypes = ringbuf },
            P("ringbuf_reserve", HelperReturn.RingbufMemOrNull, No, Map, HelperArg.ConstAllocSizeOrZero, A) with { MapTypes = ringbuf },
            P("ringbuf_submit", HelperReturn.Void, No, HelperArg.RingbufMemRelease, A),
            P("ringbuf_discard", HelperReturn.Void, No, HelperArg.RingbufMemRelease, A),
            P("ringbuf_query", I, No, Map, A) with { MapTypes = ringbuf },
            P("loop", I, No, A, HelperArg.Func, HelperArg.StackOrNull, A),
            P("for_each_map_elem", I, No, Map, HelperArg.Func, HelperArg.StackOrNull, A),
            P("spin_lock", HelperReturn.Void, No, HelperArg.SpinLock),
            P("spin_unlock", HelperReturn.Void, No, HelperArg.SpinLock),
            P("get_local_storage", HelperReturn.MapValue, No, Map, A),
            P("redirect", I, No, A, A),
            P("redirect_map", I, No, Map, A, A) with { MapTypes = [BpfMapType.Devmap, BpfMapType.DevmapHash, BpfMapType.Cpumap, BpfMapType.Xskmap] },
            P("redirect_neigh", I, No, A, HelperArg.MemOrNull, Size0, A),
            P("redirect_peer", I, No, A, A),
            P("clone_redirect", I, Pkt, Ctx, A, A),
            P("xdp_adjust_head", I, Pkt, Ctx, A),
            P("xdp_adjust_meta", I, Pkt, Ctx, A),
            P("xdp_adjust_tail", I, Pkt, Ctx, A),
            P("xdp_get_buff_len", I, No, Ctx),
            P("skb_load_bytes", I, No, Ctx, A, Out, Size),
            P("skb_store_bytes", I, Pkt, Ctx, A, Mem, Size, A),
            P("skb_pull_data", I, Pkt, Ctx, A),
            P("skb_change_head", I, Pkt, Ctx, A, A),
            P("skb_change_tail", I, Pkt, Ctx, A, A),
            P("skb_change_proto", I, Pkt, Ctx, A, A),
            P("skb_change_type", I, No, Ctx, A),
            P("skb_adjust_room", I, Pkt, Ctx, A, A, A),
            P("skb_vlan_push", I, Pkt, Ctx, A, A),
            P("skb_vlan_pop", I, Pkt, Ctx),
            P("skb_get_tunnel_key", I, No, Ctx, Out, Size, A),
            P("skb_set_tunnel_key", I, No, Ctx, Mem, Size, A),
            P("skb_cgroup_id", I, No, Ctx),
            P("skb_ecn_set_ce", I, No, Ctx),
            P("l3_csum_replace", I, Pkt, Ctx, A, A, A, A),
            P("l4_csum_replace", I, Pkt, Ctx, A, A, A, A),
            P("csum_diff", I, No, HelperArg.MemOrNull, Size0, HelperArg.MemOrNull, Size0, A),
            P("csum_update", I, No, Ctx, A),
            P("set_hash_invalid", HelperReturn.Void, No, Ctx),
            P("set_hash", I, No, Ctx, A),
            P("get_hash_recalc", I, No, Ctx),
            P("get_cgroup_classid", I, No, Ctx),
            P("get_route_realm", I, No, Ctx),
            P("get_socket_cookie", I, No, Ctx),
            P("get_socket_uid", I, No, Ctx),
            P("fib_lookup", I, No, Ctx, Out, Size, A),
        ];
        return rows.ToDictionary(p => p.Id);
    }

    private static HelperPrototype P(string name, HelperReturn returns, HelperFlags flags, params HelperArg[] args)
    {
        int id = BpfHelperNames.IdOf("bpf_" + name);
        if (id <= 0)
            throw new InvalidOperationException($"helper table: unknown helper bpf_{name}");
        return new HelperPrototype(id, "bpf_" + name, returns, args, flags);
    }
}
