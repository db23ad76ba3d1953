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

    private static ulong PerfEventOutput(VmCallContext vm, ulong ctx, ulong map, ulong flags, ulong data, ulong size)
    {
        if (vm.GetMap(map) is not IVmPerfEventArray perf)
            throw vm.Fault("bpf_perf_event_output: the map is not a PERF_EVENT_ARRAY");
        if ((flags & ~(IndexMask | CtxLenMask)) != 0 || (flags & CtxLenMask) != 0)
            return unchecked((ulong)-Errno.EINVAL); // packet/context bytes appended (BPF_F_CTXLEN_MASK) are not supported
        ulong index = flags & IndexMask;
        if (index == CurrentCpu)
            index = (ulong)vm.Cpu;
        return (ulong)perf.Output((uint)index, vm.GetPointer(data, size, write: false), size);
    }
}
