using System.Runtime.InteropServices;
using SharpBpf.Objects;
using F = SharpBpf.Vm.Maps.BpfMapCreateFlags;

namespace SharpBpf.Vm.Maps;

/// <summary>A map bpf_redirect_map may name: DEVMAP, DEVMAP_HASH, CPUMAP or XSKMAP.</summary>
public unsafe interface IVmRedirectMap : IVmMap
{
    /// <summary>Whether <paramref name="key"/> names a target (the kernel's map_redirect lookup succeeds).</summary>
    bool HasTarget(uint key);

    /// <summary>The flags bpf_redirect_map accepts besides the fallback action (BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS for devmaps).</summary>
    ulong RedirectFlags { get; }
}

/// <summary>
/// DEVMAP and DEVMAP_HASH (values <c>struct bpf_devmap_val</c>: an ifindex, optionally a program) and CPUMAP (values
/// <c>struct bpf_cpumap_val</c>: a queue size, optionally a program), with the kernel's errno for every operation.
/// The VM has no network devices: any non-zero ifindex is accepted as a target, and a program in an entry is refused
/// (EINVAL). Programs may only read the values (the kernel adds BPF_F_RDONLY_PROG to devmaps) and redirect to them.
/// </summary>
public sealed unsafe class VmRedirectMap : VmMap, IVmRedirectMap
{
    private const ulong Broadcast = 1 << 3, ExcludeIngress = 1 << 4; // BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS
    private const uint MaxCpumapQueue = 16384;

    private readonly NativeBlock _values;
    private readonly int _elemSize;
    private readonly bool[]? _present;   // DEVMAP, CPUMAP: slot = index
    private readonly KeyTable? _table;   // DEVMAP_HASH: slot found by key
    private readonly long[]? _updated;   // DEVMAP_HASH: when each slot was last written (the kernel moves it to its bucket's head)
    private readonly int _buckets;
    private long _clock;
    private readonly int _possibleCpus;

    internal VmRedirectMap(MapSpec spec, int cpuCount) : base(WithKernelFlags(spec), 1)
    {
        _possibleCpus = cpuCount;
        _elemSize = Round8(ValueSize);
        _values = new NativeBlock((long)_elemSize * MaxEntries);
        if (Type == BpfMapType.DevmapHash)
        {
            _table = new KeyTable(4, MaxEntries, trackRecency: false);
            _updated = new long[MaxEntries];
            _buckets = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)MaxEntries);
        }
        else
            _present = new bool[MaxEntries];
        SetRegions(_values.Region(writable: false));
    }

    public ulong RedirectFlags => Type == BpfMapType.Cpumap ? 0 : Broadcast | ExcludeIngress;

    /// <summary>dev_map_alloc_check / cpu_map_alloc: key_size 4, value_size 4 or 8, max_entries above 0, few flags.</summary>
    internal static void Validate(MapSpec spec)
    {
        bool cpumap = spec.Type == BpfMapType.Cpumap;
        var allowed = cpumap ? F.NumaNode : F.NumaNode | F.ReadOnly | F.WriteOnly;
        if (spec.MaxEntries == 0 || spec.KeySize != 4 || spec.ValueSize is not (4 or 8) || ((F)spec.Flags & ~allowed) != 0)
            throw new BpfMapCreateException(spec, Errno.EINVAL,
                $"{spec.Type} needs key_size 4, value_size 4 or 8 ({(cpumap ? "qsize" : "ifindex")}[, program fd]), max_entries > 0 and only {allowed} flags");
        if (cpumap && spec.MaxEntries > 8192)
            throw new BpfMapCreateException(spec, Errno.E2BIG, "CPUMAP max_entries above NR_CPUS (8192)");
    }

    private static MapSpec WithKernelFlags(MapSpec spec)
    {
        if (spec.Type == BpfMapType.Cpumap)
            return spec;
        var flagged = spec.Clone();
        flagged.Flags |= (uint)F.ReadOnlyProgram; // lookups hand out the value itself
        return flagged;
    }

    private byte* Element(int slot) => _values.Start + (long)slot * _elemSize;

    private int SlotOf(uint key)
    {
        if (_table is not null)
            return _table.Find(new ReadOnlySpan<byte>(&key, 4));
        return key < (uint)MaxEntries && _present![key] ? (int)key : -1;
    }

    public bool HasTarget(uint key)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            return SlotOf(key) >= 0;
        }
    }

    protected override int LookupCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        int slot = SlotOf(MemoryMarshal.Read<uint>(key));
        if (slot < 0)
            return Errno.ENOENT;
        new ReadOnlySpan<byte>(Element(slot), ValueSize).CopyTo(value);
        return 0;
    }

    protected override int UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        uint index = MemoryMarshal.Read<uint>(key);
        uint first = MemoryMarshal.Read<uint>(value);
        int program = ValueSize == 8 ? MemoryMarshal.Read<int>(value[4..]) : 0;
        if (flags > BpfExist)
            return Errno.EINVAL;
        if (_table is not null)
            return UpdateHash(key, value, flags, first, program);
        if (index >= (uint)MaxEntries)
            return Errno.E2BIG;
        if (flags == BpfNoExist)
            return Errno.EEXIST;
        bool clear;
        if (Type == BpfMapType.Cpumap)
        {
            if (first > MaxCpumapQueue)
                return Errno.EOVERFLOW;
            if (index >= (uint)_possibleCpus)
                return Errno.ENODEV;
            clear = first == 0;
        }
        else
        {
            clear = first == 0;
            if (clear && program > 0)
                return Errno.EINVAL; // no program without an interface
        }
        if (!clear && program > 0)
            return Errno.EINVAL; // the VM has no XDP_DEVMAP/XDP_CPUMAP programs to run per entry
        _present![index] = !clear;
        Store((int)index, clear ? [] : value);
        return 0;
    }

    private int UpdateHash(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags, uint ifindex, int program)
    {
        if (ifindex == 0 || program > 0)
            return Errno.EINVAL;
        int slot = _table!.Find(key);
        if (slot >= 0 && flags == BpfNoExist)
            return Errno.EEXIST;
        if (slot < 0)
        {
            if (_table.IsFull)
                return Errno.E2BIG;
            slot = _table.Add(key);
        }
        _updated![slot] = ++_clock;
        Store(slot, value);
        return 0;
    }

    /// <summary>The value as a lookup returns it: the program id is 0 (no program).</summary>
    private void Store(int slot, ReadOnlySpan<byte> value)
    {
        var element = new Span<byte>(Element(slot), _elemSize);
        element.Clear();
        if (!value.IsEmpty)
            value[..4].CopyTo(element);
    }

    protected override int DeleteCore(ReadOnlySpan<byte> key)
    {
        uint index = MemoryMarshal.Read<uint>(key);
        if (_table is not null)
        {
            int slot = _table.Find(key);
            if (slot < 0)
                return Errno.ENOENT;
            _table.Remove(slot);
            return 0;
        }
        if (index >= (uint)MaxEntries)
            return Errno.EINVAL;
        _present![index] = false; // deleting an empty slot is 0 too
        return 0;
    }

    protected override int NextKeyCore(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        if (_table is not null)
            return HashNextKey(key, nextKey);
        return ArrayNextKey(key, nextKey, MaxEntries);
    }

    /// <summary>dev_map_hash_get_next_key: buckets (key &amp; (buckets - 1)) in order, each newest first; a missing key restarts.</summary>
    private int HashNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        var order = new List<(uint Key, int Bucket, long Updated)>();
        for (int slot = _table!.First; slot >= 0; slot = _table.Next(slot))
        {
            uint k = MemoryMarshal.Read<uint>(_table.Key(slot));
            order.Add((k, (int)(k & (uint)(_buckets - 1)), _updated![slot]));
        }
        order.Sort((a, b) => a.Bucket != b.Bucket ? a.Bucket.CompareTo(b.Bucket) : b.Updated.CompareTo(a.Updated));
        uint wanted = key.IsEmpty ? 0 : MemoryMarshal.Read<uint>(key);
        int at = key.IsEmpty ? -1 : order.FindIndex(e => e.Key == wanted);
        if (at + 1 >= order.Count)
            return Errno.ENOENT;
        MemoryMarshal.Write(nextKey, order[at + 1].Key);
        return 0;
    }

    /// <summary>get_next_key of the kernel's array-shaped maps: 0 after an absent or out-of-range key, ENOENT after the last.</summary>
    internal static int ArrayNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey, int maxEntries)
    {
        uint index = key.IsEmpty ? uint.MaxValue : MemoryMarshal.Read<uint>(key);
        if (index == (uint)maxEntries - 1)
            return Errno.ENOENT;
        MemoryMarshal.Write(nextKey, index >= (uint)maxEntries ? 0u : index + 1);
        return 0;
    }

    /// <summary>Programs may look up devmaps (the verifier refuses CPUMAP lookups).</summary>
    public override byte* LookupFromProgram(byte* key, int cpu)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            int slot = Type == BpfMapType.Cpumap ? -1 : SlotOf(*(uint*)key);
            return slot < 0 ? null : Element(slot);
        }
    }

    protected override void ReleaseStorage() => _values.Dispose();
}

/// <summary>
/// XSKMAP: AF_XDP sockets by queue index. The VM has no sockets, so every slot stays empty: user-space updates are
/// EOPNOTSUPP (the kernel's answer for a descriptor that is not an AF_XDP socket), lookups EOPNOTSUPP as in the kernel,
/// and bpf_redirect_map to it takes the fallback action in its flags.
/// </summary>
public sealed unsafe class VmXskMap : VmMap, IVmRedirectMap
{
    internal VmXskMap(MapSpec spec) : base(spec, 1) => SetRegions();

    public ulong RedirectFlags => 0;

    public bool HasTarget(uint key) => false;

    internal static void Validate(MapSpec spec)
    {
        if (spec.MaxEntries == 0 || spec.KeySize != 4 || spec.ValueSize != 4 || ((F)spec.Flags & ~(F.NumaNode | F.ReadOnly | F.WriteOnly)) != 0)
            throw new BpfMapCreateException(spec, Errno.EINVAL, "XSKMAP needs key_size 4, value_size 4 (a socket fd), max_entries > 0 and only NUMA/RDONLY/WRONLY flags");
    }

    protected override int LookupCore(ReadOnlySpan<byte> key, Span<byte> value) => Errno.EOPNOTSUPP;

    protected override int UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags) =>
        flags > BpfExist ? Errno.EINVAL : MemoryMarshal.Read<uint>(key) >= (uint)MaxEntries ? Errno.E2BIG : Errno.EOPNOTSUPP;

    protected override int DeleteCore(ReadOnlySpan<byte> key) =>
        MemoryMarshal.Read<uint>(key) >= (uint)MaxEntries ? Errno.EINVAL : 0;

    protected override int NextKeyCore(ReadOnlySpan<byte> key, Span<byte> nextKey) =>
        VmRedirectMap.ArrayNextKey(key, nextKey, MaxEntries);

    protected override void ReleaseStorage() { }
}
