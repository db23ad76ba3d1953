using SharpBpf.Maps;
using SharpBpf.Objects;

namespace SharpBpf.Vm.Maps;

/// <summary>
/// The common shape of every VM map: the spec's sizes, one lock per map guarding all user-space and
/// program-side operations (programs then read and write the values they were handed without the lock, as
/// in the kernel), argument checks, errno-to-exception translation and disposal.
/// Subclasses implement the "Core" operations, which run under <see cref="Gate"/> and return 0 or an errno.
/// </summary>
public abstract unsafe class VmMap : IVmMap
{
    /// <summary>Update flags as the helpers and bpf() take them.</summary>
    protected const ulong BpfAny = 0, BpfNoExist = 1, BpfExist = 2, BpfFLock = 4;

    private IReadOnlyList<VmRegion> _regions = [];

    protected VmMap(MapSpec spec, int cpuCount)
    {
        Spec = spec.Clone();
        Name = spec.Name;
        Type = spec.Type;
        KeySize = spec.KeySize;
        ValueSize = spec.ValueSize;
        MaxEntries = spec.MaxEntries;
        Flags = spec.Flags;
        CpuCount = cpuCount;
    }

    /// <summary>A copy of the spec the map was created from (the static verifier reads inner-map templates and .rodata from it).</summary>
    internal MapSpec Spec { get; }

    /// <summary>Held by every operation of this map.</summary>
    protected Lock Gate { get; } = new();

    protected bool IsDisposed { get; private set; }

    public string Name { get; }
    public BpfMapType Type { get; }
    public int KeySize { get; }
    public int ValueSize { get; }
    public int MaxEntries { get; }
    public uint Flags { get; }
    public virtual int CpuCount { get; }
    public virtual int UserValueSize => ValueSize;

    /// <summary>True once <see cref="Freeze"/> ran: user space may no longer write (BPF_MAP_FREEZE).</summary>
    public bool IsFrozen { get; private set; }

    /// <summary>The value storage programs may reach; empty once disposed.</summary>
    public IReadOnlyList<VmRegion> Regions => IsDisposed ? [] : _regions;

    protected void SetRegions(params VmRegion[] regions) => _regions = regions;

    protected BpfMapCreateFlags CreateFlags => (BpfMapCreateFlags)Flags;

    /// <summary>BPF_MAP_FREEZE: user space can no longer update or delete; programs are unaffected.</summary>
    public void Freeze()
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            IsFrozen = true;
        }
    }

    // ---- user space (the bpf() syscall commands) ----

    public bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value)
    {
        CheckKey(key, "lookup");
        CheckValue(value.Length, exact: false, "lookup");
        if ((CreateFlags & BpfMapCreateFlags.WriteOnly) != 0)
            throw Fail("lookup", Errno.EPERM, "the map was created write-only for user space (BPF_F_WRONLY)");
        int err;
        lock (Gate)
        {
            ThrowIfDisposed();
            err = LookupCore(key, value);
        }
        return Outcome(err, "lookup");
    }

    public void Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, MapUpdateFlags flags = MapUpdateFlags.Any)
    {
        CheckKey(key, "update");
        CheckValue(value.Length, exact: true, "update");
        CheckWritable("update");
        int err;
        lock (Gate)
        {
            ThrowIfDisposed();
            err = (flags & MapUpdateFlags.Lock) != 0 && !SupportsLockFlag
                ? Errno.EINVAL
                : UpdateCore(key, value, (ulong)flags);
        }
        if (err != 0)
            throw Fail("update", err, Explain(err, "update"));
    }

    public bool Delete(ReadOnlySpan<byte> key)
    {
        CheckKey(key, "delete");
        CheckWritable("delete");
        int err;
        lock (Gate)
        {
            ThrowIfDisposed();
            err = DeleteCore(key);
        }
        return Outcome(err, "delete");
    }

    public bool TryGetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        if (!key.IsEmpty)
            CheckKey(key, "get next key");
        if (nextKey.Length < KeySize)
            throw Fail("get next key", Errno.EINVAL, $"the key buffer is {nextKey.Length} bytes, the map's keys are {KeySize}");
        if ((CreateFlags & BpfMapCreateFlags.WriteOnly) != 0)
            throw Fail("get next key", Errno.EPERM, "the map was created write-only for user space (BPF_F_WRONLY)");
        int err;
        lock (Gate)
        {
            ThrowIfDisposed();
            err = NextKeyCore(key, nextKey[..KeySize]);
        }
        return Outcome(err, "get next key");
    }

    public bool TryLookupAndDelete(ReadOnlySpan<byte> key, Span<byte> value)
    {
        CheckKey(key, "lookup and delete");
        CheckValue(value.Length, exact: false, "lookup and delete");
        CheckWritable("lookup and delete");
        int err;
        lock (Gate)
        {
            ThrowIfDisposed();
            err = LookupAndDeleteCore(key, value);
        }
        return Outcome(err, "lookup and delete");
    }

    /// <summary>Whether BPF_F_LOCK is accepted (the kernel requires a bpf_spin_lock in the value; VM maps never have one).</summary>
    protected virtual bool SupportsLockFlag => false;

    protected virtual int LookupCore(ReadOnlySpan<byte> key, Span<byte> value) => Errno.ENOTSUPP;
    protected virtual int UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags) => Errno.ENOTSUPP;
    protected virtual int DeleteCore(ReadOnlySpan<byte> key) => Errno.ENOTSUPP;
    /// <summary><paramref name="key"/> is empty for "the first key".</summary>
    protected virtual int NextKeyCore(ReadOnlySpan<byte> key, Span<byte> nextKey) => Errno.ENOTSUPP;
    protected virtual int LookupAndDeleteCore(ReadOnlySpan<byte> key, Span<byte> value) => Errno.ENOTSUPP;

    // ---- programs (the helpers); the VM has bounds-checked the pointers ----

    public virtual byte* LookupFromProgram(byte* key, int cpu) => null;
    public virtual long UpdateFromProgram(byte* key, byte* value, ulong flags, int cpu) => -Errno.EINVAL;
    public virtual long DeleteFromProgram(byte* key) => -Errno.EINVAL;
    public virtual long PushFromProgram(byte* value, ulong flags) => -Errno.EINVAL;
    public virtual long PopFromProgram(byte* value) => -Errno.EINVAL;
    public virtual long PeekFromProgram(byte* value) => -Errno.EINVAL;

    // ---- disposal ----

    public void Dispose()
    {
        lock (Gate)
        {
            if (IsDisposed)
                return;
            IsDisposed = true;
            _regions = [];
            ReleaseStorage();
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees native storage; runs once, under the lock.</summary>
    protected abstract void ReleaseStorage();

    protected void ThrowIfDisposed()
    {
        if (IsDisposed)
            throw new ObjectDisposedException($"VM map '{Name}'");
    }

    // ---- helpers ----

    protected static int Round8(int size) => (size + 7) & ~7;

    protected BpfMapException Fail(string operation, int errno, string reason) => new(Name, operation, errno, reason);

    private bool Outcome(int err, string operation) => err switch
    {
        0 => true,
        Errno.ENOENT => false,
        _ => throw Fail(operation, err, Explain(err, operation)),
    };

    private void CheckKey(ReadOnlySpan<byte> key, string operation)
    {
        if (key.Length != KeySize)
            throw Fail(operation, Errno.EINVAL, $"the key is {key.Length} bytes, the map's keys are {KeySize}");
    }

    private void CheckValue(int length, bool exact, string operation)
    {
        if (exact ? length != UserValueSize : length < UserValueSize)
            throw Fail(operation, Errno.EINVAL, $"the value buffer is {length} bytes, the map exchanges {UserValueSize}-byte values"
                + (UserValueSize != ValueSize ? $" (round8({ValueSize}) x {CpuCount} CPUs)" : ""));
    }

    private void CheckWritable(string operation)
    {
        if ((CreateFlags & BpfMapCreateFlags.ReadOnly) != 0)
            throw Fail(operation, Errno.EPERM, "the map was created read-only for user space (BPF_F_RDONLY)");
        if (IsFrozen)
            throw Fail(operation, Errno.EPERM, "the map is frozen");
    }

    private string Explain(int errno, string operation) => errno switch
    {
        Errno.EEXIST => "the key already exists (BPF_NOEXIST)",
        Errno.ENOENT => "no such key",
        Errno.E2BIG => operation == "update" && Type is BpfMapType.Array or BpfMapType.PercpuArray or BpfMapType.ProgArray
            or BpfMapType.PerfEventArray or BpfMapType.ArrayOfMaps
            ? $"index out of range (max_entries {MaxEntries})"
            : $"the map is full (max_entries {MaxEntries})",
        Errno.ENOSPC => $"the map is full (max_entries {MaxEntries})",
        Errno.EINVAL => $"invalid argument for a {Type} map (flags, key or value)",
        Errno.EBADF => "the value does not name a live program or map",
        Errno.ENOTSUPP or Errno.EOPNOTSUPP => $"{operation} is not supported by {Type} maps",
        Errno.EPERM => "not permitted",
        _ => Errno.Name(errno),
    };
}
