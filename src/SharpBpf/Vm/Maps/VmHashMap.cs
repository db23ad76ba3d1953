using SharpBpf.Objects;

namespace SharpBpf.Vm.Maps;

/// <summary>
/// HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH. Storage is preallocated: max_entries value slots in one
/// native block (per-CPU maps: CpuCount copies of round8(value_size) per slot), so a value's address never changes
/// while its key is in the map; updating an existing key writes in place.
/// get_next_key walks keys in insertion order (the kernel walks buckets; that order is not part of the ABI);
/// a missing key restarts at the first key, as the kernel does.
/// LRU maps evict exactly the least recently used key when a new key arrives in a full map. "Used" means
/// inserted, updated or looked up by a program; user-space lookups do not count (the kernel's
/// map_lookup_elem_sys_only). The kernel's LRU is approximate (per-CPU free lists, reference bits), so on a
/// full kernel map the victim may differ and eviction may start slightly before max_entries.
/// </summary>
public sealed unsafe class VmHashMap : VmMap
{
    private readonly KeyTable _table;
    private readonly NativeBlock _values;
    private readonly int _copySize; // bytes per CPU copy (value_size, or round8 for per-CPU maps)
    private readonly int _stride;   // bytes per slot

    internal VmHashMap(MapSpec spec, int cpuCount)
        : base(spec, IsPerCpuType(spec.Type) ? cpuCount : 1)
    {
        IsPerCpu = IsPerCpuType(spec.Type);
        IsLru = spec.Type is BpfMapType.LruHash or BpfMapType.LruPercpuHash;
        _copySize = IsPerCpu ? Round8(ValueSize) : ValueSize;
        _stride = Round8(ValueSize) * CpuCount;
        _table = new KeyTable(KeySize, MaxEntries, trackRecency: IsLru);
        _values = new NativeBlock((long)_stride * MaxEntries);
        SetRegions(_values.Region(writable: (CreateFlags & BpfMapCreateFlags.ReadOnlyProgram) == 0));
    }

    public bool IsPerCpu { get; }
    public bool IsLru { get; }

    /// <summary>The number of keys in the map.</summary>
    public int Count { get { lock (Gate) return _table.Count; } }

    public override int UserValueSize => IsPerCpu ? Round8(ValueSize) * CpuCount : ValueSize;

    private static bool IsPerCpuType(BpfMapType t) => t is BpfMapType.PercpuHash or BpfMapType.LruPercpuHash;

    private byte* Slot(int slot) => _values.Start + (long)slot * _stride;

    protected override int LookupCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        int slot = _table.Find(key);
        if (slot < 0)
            return Errno.ENOENT;
        CopyOut(slot, value);
        return 0;
    }

    protected override int LookupAndDeleteCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        int slot = _table.Find(key);
        if (slot < 0)
            return Errno.ENOENT;
        CopyOut(slot, value);
        _table.Remove(slot);
        return 0;
    }

    protected override int UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        int slot = Place(key, flags, out int err, out _);
        if (slot < 0)
            return err;
        fixed (byte* src = value)
        {
            if (IsPerCpu)
                for (int cpu = 0; cpu < CpuCount; cpu++)
                    Buffer.MemoryCopy(src + cpu * _copySize, Slot(slot) + cpu * _copySize, _copySize, _copySize);
            else
                Buffer.MemoryCopy(src, Slot(slot), ValueSize, ValueSize);
        }
        return 0;
    }

    protected override int DeleteCore(ReadOnlySpan<byte> key)
    {
        int slot = _table.Find(key);
        if (slot < 0)
            return Errno.ENOENT;
        _table.Remove(slot);
        return 0;
    }

    protected override int NextKeyCore(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        int slot = key.IsEmpty ? -1 : _table.Find(key);
        int next = slot < 0 ? _table.First : _table.Next(slot);
        if (next < 0)
            return Errno.ENOENT;
        _table.Key(next).CopyTo(nextKey);
        return 0;
    }

    public override byte* LookupFromProgram(byte* key, int cpu)
    {
        if (!IsLru)
        {
            // lock-free: programs look up far more often than anything updates (LRU lookups reorder, so they lock)
            ThrowIfDisposed();
            int found = _table.FindConcurrent(new ReadOnlySpan<byte>(key, KeySize));
            return found < 0 ? null : Slot(found) + (IsPerCpu ? CpuOffset(cpu) : 0);
        }
        lock (Gate)
        {
            ThrowIfDisposed();
            int slot = _table.Find(new ReadOnlySpan<byte>(key, KeySize));
            if (slot < 0)
                return null;
            _table.Touch(slot);
            return Slot(slot) + (IsPerCpu ? CpuOffset(cpu) : 0);
        }
    }

    public override long UpdateFromProgram(byte* key, byte* value, ulong flags, int cpu)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            var k = new ReadOnlySpan<byte>(key, KeySize);
            int slot = Place(k, flags, out int err, out bool existed);
            if (slot < 0)
                return -err;
            if (IsPerCpu)
            {
                // A new per-CPU element starts as zeros on every other CPU (the kernel's pcpu_init_value).
                if (!existed)
                    new Span<byte>(Slot(slot), _stride).Clear();
                Buffer.MemoryCopy(value, Slot(slot) + CpuOffset(cpu), ValueSize, ValueSize);
            }
            else
                Buffer.MemoryCopy(value, Slot(slot), ValueSize, ValueSize);
            return 0;
        }
    }

    public override long DeleteFromProgram(byte* key)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            return -DeleteCore(new ReadOnlySpan<byte>(key, KeySize));
        }
    }

    /// <summary>Finds or makes the slot for an update, applying BPF_ANY/NOEXIST/EXIST, max_entries and LRU eviction.</summary>
    private int Place(ReadOnlySpan<byte> key, ulong flags, out int err, out bool existed)
    {
        err = 0;
        existed = false;
        if ((flags & ~BpfFLock) > BpfExist)
        {
            err = Errno.EINVAL;
            return -1;
        }
        int slot = _table.Find(key);
        if (slot >= 0)
        {
            if ((flags & ~BpfFLock) == BpfNoExist)
            {
                err = Errno.EEXIST;
                return -1;
            }
            _table.Touch(slot);
            existed = true;
            return slot;
        }
        if ((flags & ~BpfFLock) == BpfExist)
        {
            err = Errno.ENOENT;
            return -1;
        }
        if (_table.IsFull)
        {
            if (!IsLru)
            {
                err = Errno.E2BIG;
                return -1;
            }
            _table.Remove(_table.LeastRecentlyUsed);
        }
        return _table.Add(key);
    }

    private int CpuOffset(int cpu) => (uint)cpu < (uint)CpuCount ? cpu * _copySize : 0;

    private void CopyOut(int slot, Span<byte> value)
    {
        var src = new ReadOnlySpan<byte>(Slot(slot), IsPerCpu ? _stride : ValueSize);
        src.CopyTo(value);
    }

    protected override void ReleaseStorage() => _values.Dispose();
}
