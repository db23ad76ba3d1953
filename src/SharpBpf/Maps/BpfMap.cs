using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SharpBpf.Maps;

/// <summary>A typed view of any <see cref="IBpfMap"/> whose key and value are unmanaged structs of the map's sizes.</summary>
public sealed class BpfMap<TKey, TValue>
    where TKey : unmanaged
    where TValue : unmanaged
{
    public BpfMap(IBpfMap map)
    {
        if (Unsafe.SizeOf<TKey>() != map.KeySize)
            throw new ArgumentException($"map '{map.Name}' has {map.KeySize}-byte keys but {typeof(TKey).Name} is {Unsafe.SizeOf<TKey>()} bytes");
        if (Unsafe.SizeOf<TValue>() != map.ValueSize)
            throw new ArgumentException($"map '{map.Name}' has {map.ValueSize}-byte values but {typeof(TValue).Name} is {Unsafe.SizeOf<TValue>()} bytes");
        Raw = map;
    }

    public IBpfMap Raw { get; }

    public bool TryGetValue(TKey key, out TValue value)
    {
        value = default;
        return Raw.TryLookup(Bytes(ref key), Bytes(ref value));
    }

    public TValue this[TKey key]
    {
        get => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"map '{Raw.Name}' has no such key");
        set => Raw.Update(Bytes(ref key), Bytes(ref value));
    }

    public void Update(TKey key, TValue value, MapUpdateFlags flags = MapUpdateFlags.Any) =>
        Raw.Update(Bytes(ref key), Bytes(ref value), flags);

    public bool Delete(TKey key) => Raw.Delete(Bytes(ref key));

    /// <summary>The keys in the map's own iteration order.</summary>
    public IEnumerable<TKey> Keys
    {
        get
        {
            TKey current = default;
            bool first = true;
            while (true)
            {
                TKey next = default;
                bool found = first
                    ? Raw.TryGetNextKey(ReadOnlySpan<byte>.Empty, Bytes(ref next))
                    : Raw.TryGetNextKey(Bytes(ref current), Bytes(ref next));
                if (!found)
                    yield break;
                yield return next;
                current = next;
                first = false;
            }
        }
    }

    private static Span<byte> Bytes<T>(ref T value) where T : unmanaged =>
        MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref value, 1));
}
