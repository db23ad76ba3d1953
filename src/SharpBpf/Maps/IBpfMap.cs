namespace SharpBpf.Maps;

/// <summary>How an update treats an existing key: BPF_ANY, BPF_NOEXIST, BPF_EXIST (and BPF_F_LOCK).</summary>
[Flags]
public enum MapUpdateFlags : ulong
{
    Any = 0,
    NoExist = 1,
    Exist = 2,
    Lock = 4,
}

/// <summary>
/// A live map, in the kernel or in the embedded VM, through one interface over raw bytes.
/// Per-CPU maps exchange <see cref="UserValueSize"/> bytes: each CPU's value rounded up to 8 bytes, CPU after CPU,
/// as the bpf() syscall does. Failures throw <see cref="BpfMapException"/> with the kernel's errno.
/// </summary>
public interface IBpfMap : IDisposable
{
    string Name { get; }
    BpfMapType Type { get; }
    int KeySize { get; }
    int ValueSize { get; }
    int MaxEntries { get; }
    uint Flags { get; }

    /// <summary>Bytes of a value as user space sees it: ValueSize, or for per-CPU maps round8(ValueSize) * possible CPUs.</summary>
    int UserValueSize { get; }

    /// <summary>Copies the value for <paramref name="key"/> into <paramref name="value"/>; false when absent.</summary>
    bool TryLookup(ReadOnlySpan<byte> key, Span<byte> value);

    void Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, MapUpdateFlags flags = MapUpdateFlags.Any);

    /// <summary>Removes <paramref name="key"/>; false when it was absent.</summary>
    bool Delete(ReadOnlySpan<byte> key);

    /// <summary>Writes the key after <paramref name="key"/> (the first key when <paramref name="key"/> is empty); false at the end.</summary>
    bool TryGetNextKey(ReadOnlySpan<byte> key, Span<byte> nextKey);

    /// <summary>Lookup and delete in one step; for QUEUE/STACK the key is empty (pop).</summary>
    bool TryLookupAndDelete(ReadOnlySpan<byte> key, Span<byte> value);
}

/// <summary>A map operation that failed: the operation, the errno and what it means.</summary>
public class BpfMapException : BpfException
{
    public BpfMapException(string map, string operation, int errno, string reason)
        : base($"map '{map}': {operation} failed: {reason} ({Errno.Name(errno)})")
    {
        Map = map;
        Operation = operation;
        ErrorNumber = errno;
    }

    public string Map { get; }
    public string Operation { get; }
    public int ErrorNumber { get; }
}
