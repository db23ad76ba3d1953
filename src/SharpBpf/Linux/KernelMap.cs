using SharpBpf.Native;
using SharpBpf.Maps;
using SharpBpf.Objects;

namespace SharpBpf.Linux;

/// <summary>
/// A map in the kernel, reached through its fd. Values of per-CPU maps are exchanged as the syscall does:
/// round8(value size) bytes per possible CPU, CPU after CPU (<see cref="IBpfMap.UserValueSize"/>).
/// Disposing closes this process's fd; the map lives on while programs, pins or other fds hold it.
/// </summary>
public sealed unsafe class KernelMap : IBpfMap
{
    private MapInfo? _info;

    private KernelMap(BpfFd fd, MapInfo info)
        : this(fd, info.Name, info.Type, info.KeySize, info.ValueSize, info.MaxEntries, info.Flags) => _info = info;

    /// <summary>A map whose shape is known (just created from it): its info is asked of the kernel only when needed.</summary>
    private KernelMap(BpfFd fd, string name, BpfMapType type, int keySize, int valueSize, int maxEntries, uint flags)
    {
        Fd = fd;
        Name = name;
        Type = type;
        KeySize = keySize;
        ValueSize = valueSize;
        MaxEntries = maxEntries;
        Flags = flags;
        UserValueSize = PossibleCpus.UserValueSize(type, valueSize);
    }

    public BpfFd Fd { get; }

    /// <summary>The kernel's description of the map (BPF_OBJ_GET_INFO_BY_FD, asked once).</summary>
    public MapInfo Info => _info ??= KernelObjectInfo.GetMapInfo(Fd);

    public uint Id => Info.Id;
    public string Name { get; }
    public BpfMapType Type { get; }
    public int KeySize { get; }
    public int ValueSize { get; }
    public int MaxEntries { get; }
    public uint Flags { get; }
    public int UserValueSize { get; }

    /// <summary>Creates a map from a spec. <paramref name="btf"/> and the spec's BTF type ids describe key and value
    /// when given; <paramref name="innerMap"/> is the template for maps of maps.</summary>
    public static KernelMap Create(MapSpec spec, KernelBtf? btf = null, KernelMap? innerMap = null, uint btfVmlinuxValueTypeId = 0)
    {
        if (spec.Type is BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps && innerMap is null)
            throw new BpfException($"map '{spec.Name}': a {BpfNames.MapType(spec.Type)} map needs an inner map template");
        MemoryLimits.EnsureMemlockForBpf();
        var attr = new MapCreateAttr
        {
            MapType = (uint)spec.Type,
            KeySize = (uint)spec.KeySize,
            ValueSize = (uint)spec.ValueSize,
            MaxEntries = (uint)spec.MaxEntries,
            MapFlags = spec.Flags,
            InnerMapFd = innerMap is null ? 0 : (uint)innerMap.Fd.Value,
            NumaNode = (uint)spec.NumaNode,
            MapExtra = spec.MapExtra,
            BtfVmlinuxValueTypeId = btfVmlinuxValueTypeId,
        };
        BpfObjectName.Write(attr.MapName, spec.Name);
        if (btf is not null)
        {
            attr.BtfFd = (uint)btf.Fd.Value; // as libbpf: the object's BTF goes with every map, typed or not
            if (!TakesNoBtfTypes(spec.Type))
            {
                attr.BtfKeyTypeId = spec.BtfKeyTypeId;
                attr.BtfValueTypeId = spec.BtfValueTypeId;
            }
        }
        var fd = BpfSyscall.InvokeFd(BpfCommand.MapCreate, ref attr, $"map '{spec.Name}'");
        // The kernel keeps the shape as given (flags without the per-fd BPF_F_RDONLY/BPF_F_WRONLY, as bpf_map_info
        // reports them), so the map needs no BPF_OBJ_GET_INFO_BY_FD round trip, as with libbpf.
        return new KernelMap(fd, BpfObjectName.Read(attr.MapName), spec.Type, spec.KeySize, spec.ValueSize, spec.MaxEntries,
            spec.Flags & ~(BpfRdonly | BpfWronly));
    }

    /// <summary>Map types libbpf creates without key/value BTF type ids (the kernel refuses or ignores them).</summary>
    public static bool TakesNoBtfTypes(BpfMapType type) => type is BpfMapType.PerfEventArray or BpfMapType.CgroupArray
        or BpfMapType.StackTrace or BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps or BpfMapType.Devmap or BpfMapType.DevmapHash
        or BpfMapType.Cpumap or BpfMapType.Xskmap or BpfMapType.Sockmap or BpfMapType.Sockhash or BpfMapType.Queue or BpfMapType.Stack;

    private const uint BpfRdonly = 1u << 3;
    private const uint BpfWronly = 1u << 4;

    /// <summary>Creates a map with no BTF from its shape alone.</summary>
    public static KernelMap Create(string name, BpfMapType type, int keySize, int valueSize, int maxEntries, uint flags = 0) =>
        Create(new MapSpec { Name = name, Type = type, KeySize = keySize, ValueSize = valueSize, MaxEntries = maxEntries, Flags = flags });

    /// <summary>Takes ownership of an fd that refers to a map.</summary>
    public static KernelMap FromFd(BpfFd fd)
    {
        try
        {
            return new KernelMap(fd, KernelObjectInfo.GetMapInfo(fd));
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    public static KernelMap OpenById(uint id) => FromFd(BpfSyscall.GetFdById(BpfObjectKind.Map, id));

    public static KernelMap OpenPinned(string path) => FromFd(BpfSyscall.OpenPinned(path));

    /// <summary>Pins the map at <paramref name="path"/> in a bpf filesystem.</summary>
    public void Pin(string path) => BpfSyscall.Pin(Fd, path);

    /// <summary>Makes the map read-only for user space (BPF_MAP_FREEZE); programs may still change it unless it is read-only to them too.</summary>
    public void Freeze()
    {
        using var lease = Fd.Lease();
        var attr = new SingleFdAttr { Value = (uint)lease.Fd };
        BpfSyscall.Invoke(BpfCommand.MapFreeze, ref attr, $"map '{Name}'");
    }

    public bool IsFrozen => KernelObjectInfo.IsFrozen(Fd) ?? false;

    public bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value) => TryLookup(key, value, 0);

    /// <summary>Lookup with flags (BPF_F_LOCK).</summary>
    public bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value, ulong flags)
    {
        CheckKey(key, allowEmpty: Type is BpfMapType.Queue or BpfMapType.Stack or BpfMapType.BloomFilter);
        CheckValue(value.Length);
        fixed (byte* k = key, v = value)
        {
            using var lease = Fd.Lease();
            var attr = new MapElemAttr { MapFd = (uint)lease.Fd, Key = (ulong)k, ValueOrNextKey = (ulong)v, Flags = flags };
            int r = BpfSyscall.TryInvoke(BpfCommand.MapLookupElem, ref attr);
            if (r == -Errno.ENOENT)
                return false;
            if (r < 0)
                throw Fail("lookup", -r, BpfCommand.MapLookupElem);
            return true;
        }
    }

    public void Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, MapUpdateFlags flags = MapUpdateFlags.Any)
    {
        CheckKey(key, allowEmpty: Type is BpfMapType.Queue or BpfMapType.Stack or BpfMapType.BloomFilter);
        CheckValue(value.Length);
        fixed (byte* k = key, v = value)
        {
            using var lease = Fd.Lease();
            var attr = new MapElemAttr { MapFd = (uint)lease.Fd, Key = (ulong)k, ValueOrNextKey = (ulong)v, Flags = (ulong)flags };
            int r = BpfSyscall.TryInvoke(BpfCommand.MapUpdateElem, ref attr);
            if (r < 0)
                throw Fail("update", -r, BpfCommand.MapUpdateElem);
        }
    }

    public bool Delete(ReadOnlySpan<byte> key)
    {
        CheckKey(key, allowEmpty: false);
        fixed (byte* k = key)
        {
            using var lease = Fd.Lease();
            var attr = new MapElemAttr { MapFd = (uint)lease.Fd, Key = (ulong)k };
            int r = BpfSyscall.TryInvoke(BpfCommand.MapDeleteElem, ref attr);
            if (r == -Errno.ENOENT)
                return false;
            if (r < 0)
                throw Fail("delete", -r, BpfCommand.MapDeleteElem);
            return true;
        }
    }

    public bool TryGetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        if (!key.IsEmpty)
            CheckKey(key, allowEmpty: false);
        if (nextKey.Length != KeySize)
            throw new ArgumentException($"map '{Name}' has {KeySize}-byte keys, the next-key buffer has {nextKey.Length}");
        fixed (byte* k = key, n = nextKey)
        {
            using var lease = Fd.Lease();
            var attr = new MapElemAttr { MapFd = (uint)lease.Fd, Key = key.IsEmpty ? 0 : (ulong)k, ValueOrNextKey = (ulong)n };
            int r = BpfSyscall.TryInvoke(BpfCommand.MapGetNextKey, ref attr);
            if (r == -Errno.ENOENT)
                return false;
            if (r < 0)
                throw Fail("get next key", -r, BpfCommand.MapGetNextKey);
            return true;
        }
    }

    public bool TryLookupAndDelete(ReadOnlySpan<byte> key, Span<byte> value)
    {
        CheckKey(key, allowEmpty: Type is BpfMapType.Queue or BpfMapType.Stack);
        CheckValue(value.Length);
        fixed (byte* k = key, v = value)
        {
            using var lease = Fd.Lease();
            var attr = new MapElemAttr { MapFd = (uint)lease.Fd, Key = key.IsEmpty ? 0 : (ulong)k, ValueOrNextKey = (ulong)v };
            int r = BpfSyscall.TryInvoke(BpfCommand.MapLookupAndDeleteElem, ref attr);
            if (r == -Errno.ENOENT)
                return false;
            if (r < 0)
                throw Fail("lookup and delete", -r, BpfCommand.MapLookupAndDeleteElem);
            return true;
        }
    }

    /// <summary>
    /// One step of BPF_MAP_LOOKUP_BATCH (or LOOKUP_AND_DELETE_BATCH): fills up to keys.Length/KeySize entries
    /// (values get UserValueSize bytes each) and returns how many. <paramref name="cursor"/> carries the position;
    /// when it says <see cref="MapBatchCursor.Done"/>, the dump is complete.
    /// </summary>
    public int LookupBatch(MapBatchCursor cursor, Span<byte> keys, Span<byte> values, bool delete = false, ulong elemFlags = 0)
    {
        if (cursor.Done)
            return 0;
        int capacity = Math.Min(keys.Length / KeySize, values.Length / UserValueSize);
        if (capacity <= 0)
            throw new ArgumentException($"map '{Name}': batch buffers hold no entry (key {KeySize}B, value {UserValueSize}B)");
        var command = delete ? BpfCommand.MapLookupAndDeleteBatch : BpfCommand.MapLookupBatch;
        cursor.EnsureSize(KeySize);
        fixed (byte* k = keys, v = values, inBatch = cursor.Token, outBatch = cursor.Next)
        {
            using var lease = Fd.Lease();
            var attr = new MapBatchAttr
            {
                InBatch = cursor.Started ? (ulong)inBatch : 0,
                OutBatch = (ulong)outBatch,
                Keys = (ulong)k,
                Values = (ulong)v,
                Count = (uint)capacity,
                MapFd = (uint)lease.Fd,
                ElemFlags = elemFlags,
            };
            int r = BpfSyscall.TryInvoke(command, ref attr);
            if (r < 0 && r != -Errno.ENOENT)
                throw Fail(delete ? "lookup and delete batch" : "lookup batch", -r, command);
            cursor.Advance(done: r == -Errno.ENOENT);
            return (int)attr.Count;
        }
    }

    /// <summary>BPF_MAP_UPDATE_BATCH: writes <paramref name="count"/> consecutive keys and values; returns how many were written.</summary>
    public int UpdateBatch(ReadOnlySpan<byte> keys, ReadOnlySpan<byte> values, int count, MapUpdateFlags flags = MapUpdateFlags.Any)
    {
        if (keys.Length < count * KeySize || values.Length < count * UserValueSize)
            throw new ArgumentException($"map '{Name}': batch of {count} needs {count * KeySize} key bytes and {count * UserValueSize} value bytes");
        fixed (byte* k = keys, v = values)
        {
            using var lease = Fd.Lease();
            var attr = new MapBatchAttr { Keys = (ulong)k, Values = (ulong)v, Count = (uint)count, MapFd = (uint)lease.Fd, ElemFlags = (ulong)flags };
            int r = BpfSyscall.TryInvoke(BpfCommand.MapUpdateBatch, ref attr);
            if (r < 0)
                throw Fail($"update batch (after {attr.Count} of {count})", -r, BpfCommand.MapUpdateBatch);
            return (int)attr.Count;
        }
    }

    /// <summary>BPF_MAP_DELETE_BATCH: deletes <paramref name="count"/> consecutive keys; returns how many were deleted.</summary>
    public int DeleteBatch(ReadOnlySpan<byte> keys, int count)
    {
        if (keys.Length < count * KeySize)
            throw new ArgumentException($"map '{Name}': batch of {count} needs {count * KeySize} key bytes");
        fixed (byte* k = keys)
        {
            using var lease = Fd.Lease();
            var attr = new MapBatchAttr { Keys = (ulong)k, Count = (uint)count, MapFd = (uint)lease.Fd };
            int r = BpfSyscall.TryInvoke(BpfCommand.MapDeleteBatch, ref attr);
            if (r < 0 && r != -Errno.ENOENT)
                throw Fail($"delete batch (after {attr.Count} of {count})", -r, BpfCommand.MapDeleteBatch);
            return (int)attr.Count;
        }
    }

    /// <summary>
    /// Every entry (key, value) in the map's order: by batches when the map type supports it, else key by key.
    /// Keys that vanish between get-next-key and lookup are skipped; a lookup the kernel refuses throws.
    /// </summary>
    public IEnumerable<(byte[] Key, byte[] Value)> Entries(int batchSize = 4096)
    {
        foreach (var (key, value, errno) in EntriesOrErrors(batchSize))
        {
            if (value is not null)
                yield return (key, value);
            else if (errno != Errno.ENOENT)
                throw Fail("lookup", errno, BpfCommand.MapLookupElem);
        }
    }

    /// <summary>
    /// Every key in the map's order with its value, or with the errno of a lookup the kernel refused (perf event
    /// arrays, cgroup arrays, XSKMAPs answer get-next-key but not lookup): what bpftool's map dump walks.
    /// </summary>
    public IEnumerable<(byte[] Key, byte[]? Value, int Errno)> EntriesOrErrors(int batchSize = 4096)
    {
        if (SupportsBatch)
        {
            var cursor = new MapBatchCursor();
            var keys = new byte[batchSize * KeySize];
            var values = new byte[batchSize * UserValueSize];
            while (!cursor.Done)
            {
                int n;
                try
                {
                    n = LookupBatch(cursor, keys, values);
                }
                catch (BpfMapException e) when (e.ErrorNumber is Errno.EINVAL or Errno.ENOTSUPP or Errno.EOPNOTSUPP && !cursor.Started)
                {
                    break; // no batch support for this map: fall back below
                }
                for (int i = 0; i < n; i++)
                    yield return (keys.AsSpan(i * KeySize, KeySize).ToArray(), values.AsSpan(i * UserValueSize, UserValueSize).ToArray(), 0);
                if (cursor.Done)
                    yield break;
            }
            if (cursor.Done)
                yield break;
        }
        var key = new byte[KeySize];
        var next = new byte[KeySize];
        bool first = true;
        while (first ? TryGetNextKey(ReadOnlySpan<byte>.Empty, next) : TryGetNextKey(key, next))
        {
            first = false;
            var value = new byte[UserValueSize];
            int errno = LookupErrno(next, value);
            yield return ((byte[])next.Clone(), errno == 0 ? value : null, errno);
            (key, next) = (next, key);
        }
    }

    private int LookupErrno(byte[] key, byte[] value)
    {
        fixed (byte* k = key, v = value)
        {
            using var lease = Fd.Lease();
            var attr = new MapElemAttr { MapFd = (uint)lease.Fd, Key = (ulong)k, ValueOrNextKey = (ulong)v };
            return -Math.Min(0, BpfSyscall.TryInvoke(BpfCommand.MapLookupElem, ref attr));
        }
    }

    /// <summary>Hash-like and array maps support the batch commands; others are walked key by key.</summary>
    public bool SupportsBatch => Type is BpfMapType.Hash or BpfMapType.PercpuHash or BpfMapType.LruHash or BpfMapType.LruPercpuHash
        or BpfMapType.Array or BpfMapType.PercpuArray;

    public void Dispose() => Fd.Dispose();

    public override string ToString() => $"map {Id} '{Name}' ({BpfNames.MapType(Type)}, key {KeySize}, value {ValueSize}, max {MaxEntries})";

    private void CheckKey(ReadOnlySpan<byte> key, bool allowEmpty)
    {
        if (key.Length != KeySize && !(allowEmpty && key.IsEmpty))
            throw new ArgumentException($"map '{Name}' has {KeySize}-byte keys, got {key.Length} bytes");
    }

    private void CheckValue(int length)
    {
        if (length != UserValueSize)
            throw new ArgumentException(PossibleCpus.IsPerCpu(Type)
                ? $"map '{Name}' is per-CPU: values are {UserValueSize} bytes (round8({ValueSize}) x {PossibleCpus.Count} CPUs), got {length}"
                : $"map '{Name}' has {ValueSize}-byte values, got {length} bytes");
    }

    private BpfMapException Fail(string operation, int errno, BpfCommand command) =>
        new(Name, operation, errno, BpfErrorHints.For(command, errno) ?? LibC.ErrorText(errno));
}

/// <summary>The position of a batch dump: the kernel's opaque in/out batch token.</summary>
public sealed class MapBatchCursor
{
    internal byte[] Token = new byte[8];
    internal byte[] Next = new byte[8];

    /// <summary>True once the first batch has been fetched.</summary>
    public bool Started { get; private set; }

    /// <summary>True when the kernel reported the end of the map.</summary>
    public bool Done { get; private set; }

    internal void EnsureSize(int keySize)
    {
        // The token is a bucket index (hash) or a key (array); key-sized and at least 8 bytes is enough for both.
        int size = Math.Max(8, keySize);
        if (Token.Length < size)
        {
            Array.Resize(ref Token, size);
            Array.Resize(ref Next, size);
        }
    }

    internal void Advance(bool done)
    {
        (Token, Next) = (Next, Token);
        Started = true;
        Done = done;
    }

    /// <summary>Starts over from the beginning of the map.</summary>
    public void Reset()
    {
        Started = false;
        Done = false;
    }
}
