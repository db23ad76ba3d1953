using System.Numerics;
using SharpBpf.Objects;
using F = SharpBpf.Vm.Maps.BpfMapCreateFlags;

namespace SharpBpf.Vm.Maps;

/// <summary>
/// The checks of the kernel's BPF_MAP_CREATE (map_create and each type's map_alloc_check), returning the same
/// errno, so a spec the VM accepts is one the kernel accepts too. Also caps native memory (ENOMEM).
/// </summary>
internal static class VmMapValidation
{
    private const long KmallocMaxSize = 1 << 22;   // 4 MiB on x86-64
    private const int MaxBpfStack = 512;
    private const int HtabElemHeader = 48;         // sizeof(struct htab_elem)
    private const int PcpuMinUnitSize = 32 << 10;
    private const int LpmDataSizeMax = 256;
    private const int LpmTrieNodeHeader = 48;      // sizeof(struct lpm_trie_node) incl. rcu head
    private const int PageSize = 4096;
    private const long RingbufMaxDataSize = (uint.MaxValue >> 1) + 1L - 3 * PageSize;

    /// <summary>VM maps preallocate; refuse specs that would take more than this much native memory.</summary>
    internal const long MaxStorageBytes = 4L << 30;

    private const F HashMask = F.NoPrealloc | F.NoCommonLru | F.NumaNode | F.AccessMask | F.ZeroSeed;
    private const F ArrayMask = F.NumaNode | F.Mmapable | F.AccessMask | F.InnerMap | F.PreserveElements;
    private const F LpmMask = F.NoPrealloc | F.NumaNode | F.AccessMask;
    private const F QueueMask = F.NumaNode | F.AccessMask;
    private const F BloomMask = F.NumaNode | F.ZeroSeed | F.AccessMask;
    private const F RingbufMask = F.NumaNode;

    /// <summary>The kernel's checks; then, when <paramref name="checkSize"/>, the VM's own cap on one map's memory.</summary>
    public static void Validate(MapSpec spec, int cpuCount, bool checkSize = true)
    {
        var flags = (F)spec.Flags;
        if (spec.KeySize < 0 || spec.ValueSize < 0 || spec.MaxEntries < 0)
            Reject(spec, Errno.EINVAL, "key size, value size and max_entries must not be negative");
        if (spec.MapExtra != 0 && spec.Type is not (BpfMapType.BloomFilter or BpfMapType.Arena))
            Reject(spec, Errno.EINVAL, "map_extra is only meaningful for BLOOM_FILTER (hash count) and ARENA");
        if ((flags & F.NumaNode) != 0 && spec.NumaNode != 0)
            Reject(spec, Errno.EINVAL, $"NUMA node {spec.NumaNode} does not exist (the VM has node 0 only)");
        if ((flags & (F.ReadOnly | F.WriteOnly)) == (F.ReadOnly | F.WriteOnly))
            Reject(spec, Errno.EINVAL, "BPF_F_RDONLY and BPF_F_WRONLY together");

        switch (spec.Type)
        {
            case BpfMapType.Hash or BpfMapType.PercpuHash or BpfMapType.LruHash or BpfMapType.LruPercpuHash:
                CheckHash(spec, flags);
                break;
            case BpfMapType.HashOfMaps:
                if (spec.ValueSize != 4)
                    Reject(spec, Errno.EINVAL, "map-in-map values are 4-byte map ids");
                CheckHash(spec, flags);
                CheckInner(spec);
                break;
            case BpfMapType.Array or BpfMapType.PercpuArray:
                CheckArray(spec, flags);
                break;
            case BpfMapType.ProgArray or BpfMapType.PerfEventArray or BpfMapType.ArrayOfMaps:
                if (spec.ValueSize != 4)
                    Reject(spec, Errno.EINVAL, "values of this map type are 4-byte program/map/event ids");
                if ((flags & (F.ReadOnlyProgram | F.WriteOnlyProgram)) != 0)
                    Reject(spec, Errno.EINVAL, "BPF_F_RDONLY_PROG/BPF_F_WRONLY_PROG are not allowed on fd arrays");
                CheckArray(spec, flags);
                if (spec.Type == BpfMapType.ArrayOfMaps)
                    CheckInner(spec);
                break;
            case BpfMapType.LpmTrie:
                CheckLpm(spec, flags);
                break;
            case BpfMapType.Queue or BpfMapType.Stack:
                if (spec.MaxEntries == 0 || spec.KeySize != 0 || spec.ValueSize == 0 || (flags & ~QueueMask) != 0 || !AccessOk(flags))
                    Reject(spec, Errno.EINVAL, "QUEUE/STACK need key_size 0, value_size > 0, max_entries > 0 and only NUMA/access flags");
                if (spec.ValueSize > KmallocMaxSize)
                    Reject(spec, Errno.E2BIG, $"value_size above {KmallocMaxSize}");
                break;
            case BpfMapType.BloomFilter:
                if (spec.KeySize != 0 || spec.ValueSize == 0 || spec.MaxEntries == 0 || (flags & ~BloomMask) != 0 || !AccessOk(flags) || (spec.MapExtra & ~0xFUL) != 0)
                    Reject(spec, Errno.EINVAL, "BLOOM_FILTER needs key_size 0, value_size > 0, max_entries > 0 and map_extra (hash count) 0..15");
                break;
            case BpfMapType.Ringbuf:
                if ((flags & ~RingbufMask) != 0)
                    Reject(spec, Errno.EINVAL, "RINGBUF accepts only BPF_F_NUMA_NODE");
                if (spec.KeySize != 0 || spec.ValueSize != 0 || !BitOperations.IsPow2(spec.MaxEntries) || spec.MaxEntries % PageSize != 0)
                    Reject(spec, Errno.EINVAL, "RINGBUF needs key_size 0, value_size 0 and max_entries a power of 2 and a multiple of the page size (4096)");
                if (spec.MaxEntries > RingbufMaxDataSize)
                    Reject(spec, Errno.E2BIG, "ring buffer too large");
                break;
            case BpfMapType.Devmap or BpfMapType.DevmapHash or BpfMapType.Cpumap:
                VmRedirectMap.Validate(spec);
                break;
            case BpfMapType.Xskmap:
                VmXskMap.Validate(spec);
                break;
            case BpfMapType.StackTrace:
                VmStackTraceMap.Validate(spec);
                break;
            default:
                Reject(spec, Errno.EOPNOTSUPP, VmUnsupportedMaps.Reason(spec.Type));
                break;
        }

        long bytes = Footprint(spec, cpuCount);
        if (checkSize && bytes > MaxStorageBytes)
            Reject(spec, Errno.ENOMEM, $"the map would preallocate {bytes} bytes, more than the VM's limit of {MaxStorageBytes} per map");
        if (LargestManagedArray(spec) > Array.MaxLength)
            Reject(spec, Errno.E2BIG, $"max_entries × key/value size exceeds what the VM holds in one array ({Array.MaxLength} elements)");
    }

    /// <summary>Refuses (ENOMEM) a map that would take more than <paramref name="limit"/> on top of <paramref name="used"/>.</summary>
    internal static long CheckMemory(MapSpec spec, int cpuCount, long used, long limit)
    {
        long bytes = Footprint(spec, cpuCount);
        if (bytes > limit - used)
            Reject(spec, Errno.ENOMEM, $"the map needs {bytes} bytes and this engine's maps already take {used}: over " +
                $"VmOptions.MaxMapMemory ({limit} bytes); raise it to create larger maps");
        return bytes;
    }

    /// <summary>
    /// The memory a valid map of <paramref name="spec"/> takes at most: values, keys and every index structure (hash buckets,
    /// chains, LRU lists, object slots, trie nodes). What <see cref="VmOptions.MaxMapMemory"/> counts.
    /// </summary>
    internal static long Footprint(MapSpec spec, int cpuCount)
    {
        long n = spec.MaxEntries, key = spec.KeySize, value = (spec.ValueSize + 7L) & ~7L;
        long buckets = 4L * (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(n, 2));
        const long slot = 8 + 4; // an object reference and its id
        return spec.Type switch
        {
            BpfMapType.Hash or BpfMapType.LruHash => value * n + key * n + buckets + 12 * n + (spec.Type == BpfMapType.LruHash ? 8 * n : 0),
            BpfMapType.PercpuHash or BpfMapType.LruPercpuHash => value * cpuCount * n + key * n + buckets + 20 * n,
            BpfMapType.HashOfMaps => key * n + buckets + 12 * n + slot * n,
            BpfMapType.Array => value * n,
            BpfMapType.PercpuArray => value * cpuCount * n,
            BpfMapType.ProgArray or BpfMapType.PerfEventArray or BpfMapType.ArrayOfMaps => slot * n,
            BpfMapType.Queue or BpfMapType.Stack => (long)spec.ValueSize * n,
            BpfMapType.BloomFilter => BloomBits(spec) / 8,
            BpfMapType.LpmTrie => value * n + 2 * n * (key + 96), // values, and at most two nodes per entry (with intermediates)
            BpfMapType.Ringbuf => 2 * n,
            _ => value * n + key * n,
        };
    }

    /// <summary>The element count of the largest managed array the map allocates (.NET caps arrays at Array.MaxLength).</summary>
    private static long LargestManagedArray(MapSpec spec) => spec.Type switch
    {
        BpfMapType.Queue or BpfMapType.Stack => (long)spec.ValueSize * spec.MaxEntries,
        BpfMapType.Hash or BpfMapType.LruHash or BpfMapType.PercpuHash or BpfMapType.LruPercpuHash or BpfMapType.HashOfMaps
            => Math.Max((long)spec.KeySize * spec.MaxEntries, (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(spec.MaxEntries, 2))),
        BpfMapType.BloomFilter => BloomBits(spec) / 64,
        _ => spec.MaxEntries,
    };

    private static long BloomBits(MapSpec spec)
    {
        long hashes = (spec.MapExtra & 0xf) is var h and not 0 ? (long)h : 5;
        double bits = Math.Max(64, Math.Ceiling(spec.MaxEntries * (double)hashes / Math.Log(2)));
        return (long)Math.Min(BitOperations.RoundUpToPowerOf2((ulong)bits), 1UL << 32);
    }

    private static void CheckHash(MapSpec spec, F flags)
    {
        bool percpu = spec.Type is BpfMapType.PercpuHash or BpfMapType.LruPercpuHash;
        bool lru = spec.Type is BpfMapType.LruHash or BpfMapType.LruPercpuHash;
        bool percpuLru = (flags & F.NoCommonLru) != 0;
        if ((flags & ~HashMask) != 0 || !AccessOk(flags))
            Reject(spec, Errno.EINVAL, $"flags 0x{spec.Flags:x} are not valid for hash maps");
        if (!lru && percpuLru)
            Reject(spec, Errno.EINVAL, "BPF_F_NO_COMMON_LRU is only for LRU maps");
        if (lru && (flags & F.NoPrealloc) != 0)
            Reject(spec, Errno.ENOTSUPP, "LRU maps are always preallocated (drop BPF_F_NO_PREALLOC)");
        if ((flags & F.NumaNode) != 0 && (percpu || percpuLru))
            Reject(spec, Errno.EINVAL, "BPF_F_NUMA_NODE is not allowed on per-CPU maps");
        if (spec.MaxEntries == 0 || spec.KeySize == 0 || spec.ValueSize == 0)
            Reject(spec, Errno.EINVAL, "hash maps need key_size, value_size and max_entries above 0");
        if ((long)spec.KeySize + spec.ValueSize >= KmallocMaxSize - HtabElemHeader)
            Reject(spec, Errno.E2BIG, "key_size + value_size too large");
        if (spec.ValueSize >= KmallocMaxSize - MaxBpfStack - HtabElemHeader)
            Reject(spec, Errno.E2BIG, "value_size too large");
        if (percpu && ((spec.ValueSize + 7L) & ~7L) > PcpuMinUnitSize)
            Reject(spec, Errno.E2BIG, $"per-CPU values above {PcpuMinUnitSize} bytes");
    }

    private static void CheckArray(MapSpec spec, F flags)
    {
        bool percpu = spec.Type == BpfMapType.PercpuArray;
        if (spec.MaxEntries == 0 || spec.KeySize != 4 || spec.ValueSize == 0 || (flags & ~ArrayMask) != 0 || !AccessOk(flags)
            || (percpu && (flags & F.NumaNode) != 0))
            Reject(spec, Errno.EINVAL, "arrays need key_size 4, value_size > 0, max_entries > 0 and valid flags");
        if (spec.Type != BpfMapType.Array && (flags & (F.Mmapable | F.InnerMap)) != 0)
            Reject(spec, Errno.EINVAL, "BPF_F_MMAPABLE and BPF_F_INNER_MAP are only for ARRAY");
        if (spec.Type != BpfMapType.PerfEventArray && (flags & F.PreserveElements) != 0)
            Reject(spec, Errno.EINVAL, "BPF_F_PRESERVE_ELEMS is only for PERF_EVENT_ARRAY");
        if (percpu && ((spec.ValueSize + 7L) & ~7L) > PcpuMinUnitSize)
            Reject(spec, Errno.E2BIG, $"per-CPU values above {PcpuMinUnitSize} bytes");
        if (spec.ValueSize > KmallocMaxSize)
            Reject(spec, Errno.E2BIG, $"array values above {KmallocMaxSize} bytes (KMALLOC_MAX_SIZE)");
    }

    private static void CheckLpm(MapSpec spec, F flags)
    {
        const long valueMax = KmallocMaxSize - LpmDataSizeMax - LpmTrieNodeHeader;
        if (spec.MaxEntries == 0 || (flags & F.NoPrealloc) == 0 || (flags & ~LpmMask) != 0 || !AccessOk(flags)
            || spec.KeySize < 4 + 1 || spec.KeySize > 4 + LpmDataSizeMax || spec.ValueSize < 1 || spec.ValueSize > valueMax)
            Reject(spec, Errno.EINVAL,
                "LPM_TRIE needs BPF_F_NO_PREALLOC, key_size 5..260 (u32 prefixlen + 1..256 data bytes), value_size > 0 and max_entries > 0");
    }

    private static void CheckInner(MapSpec spec)
    {
        if (spec.InnerMap is not { } inner)
            Reject(spec, Errno.EINVAL, "a map of maps needs an inner map template (InnerMap)");
        else if (inner.Type is BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps or BpfMapType.ProgArray)
            Reject(spec, Errno.EINVAL, $"inner maps cannot be {inner.Type}");
    }

    private static bool AccessOk(F flags) =>
        (flags & (F.ReadOnlyProgram | F.WriteOnlyProgram)) != (F.ReadOnlyProgram | F.WriteOnlyProgram);

    private static void Reject(MapSpec spec, int errno, string reason) => throw new BpfMapCreateException(spec, errno, reason);
}
