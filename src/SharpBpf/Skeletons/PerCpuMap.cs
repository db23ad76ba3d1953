using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharpBpf.Maps;

namespace SharpBpf.Skeletons;

/// <summary>
/// A typed view of a per-CPU map (PERCPU_ARRAY, PERCPU_HASH, LRU_PERCPU_HASH): each key holds one
/// <typeparamref name="TValue"/> per possible CPU, exchanged as the syscall does (each rounded up to 8 bytes).
/// </summary>
public sealed class PerCpuMap<TKey, TValue>
    where TKey : unmanaged
    where TValue : unmanaged
{
    private readonly int _stride;

    public PerCpuMap(IBpfMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        if (Unsafe.SizeOf<TKey>() != map.KeySize)
            throw new ArgumentException($"map '{map.Name}' has {map.KeySize}-byte keys but {typeof(TKey).Name} is {Unsafe.SizeOf<TKey>()} bytes");
        if (Unsafe.SizeOf<TValue>() != map.ValueSize)
            throw new ArgumentException($"map '{map.Name}' has {map.ValueSize}-byte values but {typeof(TValue).Name} is {Unsafe.SizeOf<TValue>()} bytes");
        _stride = (map.ValueSize + 7) & ~7;
        if (map.UserValueSize % _stride != 0)
            throw new ArgumentException($"map '{map.Name}' is not a per-CPU map (user value size {map.UserValueSize})");
        Raw = map;
        CpuCount = map.UserValueSize / _stride;
    }

    public IBpfMap Raw { get; }

    /// <summary>Possible CPUs: the number of values per key.</summary>
    public int CpuCount { get; }

    /// <summary>The value of each CPU for <paramref name="key"/>; false when the key is absent.</summary>
    public bool TryGetValues(TKey key, out TValue[] values)
    {
        var buffer = new byte[Raw.UserValueSize];
        if (!Raw.TryLookup(MemoryMarshal.AsBytes(new ReadOnlySpan<TKey>(in key)), buffer))
        {
            values = [];
            return false;
        }
        values = new TValue[CpuCount];
        for (int cpu = 0; cpu < CpuCount; cpu++)
            values[cpu] = MemoryMarshal.Read<TValue>(buffer.AsSpan(cpu * _stride));
        return true;
    }

    /// <summary>The per-CPU values of <paramref name="key"/>; setting writes one value per CPU.</summary>
    public TValue[] this[TKey key]
    {
        get => TryGetValues(key, out var values) ? values : throw new KeyNotFoundException($"map '{Raw.Name}' has no such key");
        set => Update(key, value);
    }

    /// <summary>Writes <paramref name="values"/> (one per CPU) under <paramref name="key"/>.</summary>
    public void Update(TKey key, ReadOnlySpan<TValue> values, MapUpdateFlags flags = MapUpdateFlags.Any)
    {
        if (values.Length != CpuCount)
            throw new ArgumentException($"map '{Raw.Name}' needs {CpuCount} values (one per possible CPU), got {values.Length}", nameof(values));
        var buffer = new byte[Raw.UserValueSize];
        for (int cpu = 0; cpu < CpuCount; cpu++)
            MemoryMarshal.Write(buffer.AsSpan(cpu * _stride), in values[cpu]);
        Raw.Update(MemoryMarshal.AsBytes(new ReadOnlySpan<TKey>(in key)), buffer, flags);
    }

    public bool Delete(TKey key) => Raw.Delete(MemoryMarshal.AsBytes(new ReadOnlySpan<TKey>(in key)));

    /// <summary>The keys in the map's own iteration order.</summary>
    public IEnumerable<TKey> Keys
    {
        get
        {
            var current = new byte[Raw.KeySize];
            var next = new byte[Raw.KeySize];
            bool first = true;
            while (first ? Raw.TryGetNextKey(ReadOnlySpan<byte>.Empty, next) : Raw.TryGetNextKey(current, next))
            {
                yield return MemoryMarshal.Read<TKey>(next);
                (current, next) = (next, current);
                first = false;
            }
        }
    }
}
