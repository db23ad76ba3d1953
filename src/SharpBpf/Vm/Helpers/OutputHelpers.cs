namespace SharpBpf.Vm.Helpers;

/// <summary>Ring buffer and perf event output helpers.</summary>
internal static unsafe class OutputHelpers
{
    private const ulong CurrentCpu = 0xffffffffUL;   // BPF_F_CURRENT_CPU
    private const ulong IndexMask = 0xffffffffUL;    // BPF_F_INDEX_MASK
    private const ulong CtxLenMask = 0xfffffUL << 32; // BPF_F_CTXLEN_MASK

    public static void Register(VmHelperTable t)
    {
        t.Register("bpf_ringbuf_output", (vm, map, data, size, flags, _) =>
            (ulong)Ring(vm, map).Output(vm.GetPointer(data, size, write: false), size, flags));
        t.Register("bpf_ringbuf_reserve", (vm, map, size, flags, _, _) =>
            (ulong)vm.ReserveRecord(Ring(vm, map), size, flags));
        t.Register("bpf_ringbuf_submit", (vm, data, flags, _, _, _) =>
        {
            vm.CommitRecord(data, flags, discard: false);
            return 0;
        });
        t.Register("bpf_ringbuf_discard", (vm, data, flags, _, _, _) =>
        {
            vm.CommitRecord(data, flags, discard: true);
            return 0;
        });
        t.Register("bpf_ringbuf_query", (vm, map, flags, _, _, _) => Ring(vm, map).Query(flags));
        t.Register("bpf_perf_event_output", PerfEventOutput);
    }

    private static IVmRingBuffer Ring(VmCallContext vm, ulong map) =>
        vm.GetMap(map) as IVmRingBuffer ?? throw vm.Fault("the map is not a RINGBUF");

    /// <summary>bpf_perf_event_output; XDP and skb programs may append the first ctx_len packet bytes (BPF_F_CTXLEN_MASK),
    /// which must not exceed the packet (EFAULT). Without a reader in the slot, as in the kernel's test_run, it is ENOENT.</summary>
    private static ulong PerfEventOutput(VmCallContext vm, ulong ctx, ulong map, ulong flags, ulong data, ulong size)
    {
        if (vm.GetMap(map) is not IVmPerfEventArray perf)
            throw vm.Fault("bpf_perf_event_output: the map is not a PERF_EVENT_ARRAY");
        bool packetContext = vm.Context is Contexts.XdpContext or Contexts.SkbContext;
        if ((flags & ~(IndexMask | (packetContext ? CtxLenMask : 0))) != 0)
            return unchecked((ulong)-Errno.EINVAL);
        ulong packetBytes = (flags & CtxLenMask) >> 32;
        if (packetBytes > (ulong)(vm.DataEnd - vm.Data))
            return unchecked((ulong)-Errno.EFAULT);
        ulong index = flags & IndexMask;
        if (index == CurrentCpu)
            index = (ulong)vm.Cpu;
        byte* sample = vm.GetPointer(data, size, write: false);
        if (packetBytes == 0)
            return (ulong)perf.Output((uint)index, sample, size);
        var joined = new byte[size + packetBytes];
        new ReadOnlySpan<byte>(sample, (int)size).CopyTo(joined);
        new ReadOnlySpan<byte>((void*)vm.Data, (int)packetBytes).CopyTo(joined.AsSpan((int)size));
        fixed (byte* p = joined)
            return (ulong)perf.Output((uint)index, p, (ulong)joined.Length);
    }
}
