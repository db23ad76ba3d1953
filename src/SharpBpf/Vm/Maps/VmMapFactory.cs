using SharpBpf.Objects;

namespace SharpBpf.Vm.Maps;

/// <summary>Creates VM maps from specs, after checking them as the kernel's BPF_MAP_CREATE does.</summary>
public static class VmMapFactory
{
    /// <summary>
    /// Validates <paramref name="spec"/> (same errno as the kernel: EINVAL, E2BIG, ENOTSUPP) and creates the map.
    /// <paramref name="resolver"/> turns program/map ids stored by user space into objects (PROG_ARRAY, maps of maps,
    /// PERF_EVENT_ARRAY); <paramref name="cpuCount"/> is the number of possible CPUs (copies in per-CPU maps).
    /// Read-only global data (.rodata, .kconfig) comes back frozen, as libbpf leaves it.
    /// </summary>
    public static IVmMap Create(MapSpec spec, IVmObjectResolver resolver, int cpuCount)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(resolver);
        if (cpuCount < 1)
            throw new ArgumentOutOfRangeException(nameof(cpuCount), cpuCount, "at least one CPU");
        VmMapValidation.Validate(spec, cpuCount);
        spec = WithKernelSizing(spec, cpuCount);
        VmMap map = spec.Type switch
        {
            BpfMapType.Hash or BpfMapType.PercpuHash or BpfMapType.LruHash or BpfMapType.LruPercpuHash => new VmHashMap(spec, cpuCount),
            BpfMapType.Array or BpfMapType.PercpuArray => new VmArrayMap(spec, cpuCount),
            _ => CreateSpecial(spec, resolver, cpuCount),
        };
        if (spec.IsReadOnlyData)
            map.Freeze();
        return map;
    }

    /// <summary>
    /// An LRU map with BPF_F_NO_COMMON_LRU gets one LRU list per CPU, so the kernel rounds max_entries up to a
    /// multiple of the CPU count (down if that overflows); the VM reports the same size.
    /// </summary>
    private static MapSpec WithKernelSizing(MapSpec spec, int cpuCount)
    {
        if (spec.Type is not (BpfMapType.LruHash or BpfMapType.LruPercpuHash) || (spec.Flags & (uint)BpfMapCreateFlags.NoCommonLru) == 0)
            return spec;
        long up = (spec.MaxEntries + (long)cpuCount - 1) / cpuCount * cpuCount;
        var sized = spec.Clone();
        sized.MaxEntries = up <= int.MaxValue ? (int)up : spec.MaxEntries / cpuCount * cpuCount;
        return sized;
    }

    private static VmMap CreateSpecial(MapSpec spec, IVmObjectResolver resolver, int cpuCount) => spec.Type switch
    {
        BpfMapType.Queue or BpfMapType.Stack => new VmQueueStackMap(spec),
        BpfMapType.BloomFilter => new VmBloomFilter(spec),
        BpfMapType.LpmTrie => new VmLpmTrie(spec),
        BpfMapType.Ringbuf => new VmRingBuffer(spec),
        BpfMapType.ProgArray => new VmProgramArray(spec, resolver),
        BpfMapType.PerfEventArray => new VmPerfEventArray(spec, resolver),
        BpfMapType.ArrayOfMaps => new VmArrayOfMaps(spec, resolver),
        BpfMapType.HashOfMaps => new VmHashOfMaps(spec, resolver),
        BpfMapType.Devmap or BpfMapType.DevmapHash or BpfMapType.Cpumap => new VmRedirectMap(spec, cpuCount),
        BpfMapType.Xskmap => new VmXskMap(spec),
        BpfMapType.StackTrace => new VmStackTraceMap(spec),
        _ => throw new BpfMapCreateException(spec, Errno.EOPNOTSUPP, VmUnsupportedMaps.Reason(spec.Type)),
    };
}
