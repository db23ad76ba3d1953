using System.Buffers.Binary;
using SharpBpf.Maps;

namespace SharpBpf.Running;

/// <summary>One map entry: the key and either its value or, for per-CPU maps, one value per possible CPU (each ValueSize bytes).</summary>
public sealed record MapEntryContents(byte[] Key, byte[]? Value, IReadOnlyList<byte[]>? PerCpuValues);

/// <summary>
/// A map's contents as <c>prog run</c> reports them, read through <see cref="IBpfMap"/> so both engines' maps give the same
/// document: entries sorted by key bytes; QUEUE and STACK drained in pop order with empty keys. <see cref="Read"/> gives
/// entries that are read from the live map as they are enumerated (arrays in constant memory, other maps holding only
/// their keys), so a huge map streams; <see cref="Materialized"/> copies them for use after the map is gone.
/// </summary>
/// <param name="Name">The object's name for the map (its <see cref="Objects.MapSpec"/> name, the same for both engines).</param>
/// <param name="Type">bpftool's spelling ("hash", "percpu_array").</param>
public sealed record MapContents(string Name, string Type, IEnumerable<MapEntryContents> Entries)
{
    /// <summary>Whether <c>prog run</c> reports maps of this type: not ring buffers, perf event arrays, program arrays, maps of
    /// maps (their values are engine-local ids), bloom filters (they have no keys to walk) nor XSKMAPs (lookups are refused).</summary>
    public static bool IsReported(BpfMapType type) => type is not (BpfMapType.Ringbuf or BpfMapType.UserRingbuf
        or BpfMapType.PerfEventArray or BpfMapType.ProgArray or BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps
        or BpfMapType.BloomFilter or BpfMapType.Xskmap);

    /// <summary>A copy whose entries no longer need the map.</summary>
    public MapContents Materialized() => this with { Entries = Entries.ToList() };

    /// <summary>Reads one map lazily (valid while the map lives). QUEUE and STACK are popped until empty (they cannot be read otherwise).</summary>
    public static MapContents Read(string name, IBpfMap map) => new(name, BpfNames.MapType(map.Type), ReadEntries(name, map));

    private static IEnumerable<MapEntryContents> ReadEntries(string name, IBpfMap map)
    {
        var value = new byte[map.UserValueSize];
        if (map.Type is BpfMapType.Queue or BpfMapType.Stack)
        {
            for (int i = 0; i <= map.MaxEntries && map.TryLookupAndDelete(ReadOnlySpan<byte>.Empty, value); i++)
                yield return new MapEntryContents([], value.ToArray(), null);
            yield break;
        }
        int slot = (map.ValueSize + 7) & ~7;
        bool perCpu = map.UserValueSize != map.ValueSize || map.Type is BpfMapType.PercpuArray or BpfMapType.PercpuHash
            or BpfMapType.LruPercpuHash or BpfMapType.PercpuCgroupStorage;
        foreach (var key in SortedKeys(name, map))
        {
            // A key deleted between next-key and lookup (LRU eviction) or an empty slot (devmaps) is simply not reported.
            if (!map.TryLookup(key, value))
                continue;
            yield return perCpu
                ? new MapEntryContents(key, null, Enumerable.Range(0, value.Length / slot).Select(cpu => value.AsSpan(cpu * slot, map.ValueSize).ToArray()).ToList())
                : new MapEntryContents(key, value.ToArray(), null);
        }
    }

    /// <summary>The map's keys in byte order: generated for index-keyed maps, else walked with next-key and sorted.</summary>
    private static IEnumerable<byte[]> SortedKeys(string name, IBpfMap map)
    {
        if (map.Type is BpfMapType.Array or BpfMapType.PercpuArray or BpfMapType.Devmap or BpfMapType.Cpumap)
            return IndexesInByteOrder((uint)map.MaxEntries);
        var keys = new List<byte[]>();
        var key = Array.Empty<byte>();
        var next = new byte[map.KeySize];
        while (map.TryGetNextKey(key, next))
        {
            key = next.ToArray();
            keys.Add(key);
            if (keys.Count > map.MaxEntries)
                throw new BpfException($"map '{name}': next-key walked more than max_entries ({map.MaxEntries}) keys; its key order is broken");
        }
        keys.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
        return keys;
    }

    /// <summary>The little-endian u32 keys 0..count-1 sorted by their bytes: lowest byte first, each byte ascending while
    /// the index so far stays below count (the higher bytes can still be 0).</summary>
    private static IEnumerable<byte[]> IndexesInByteOrder(uint count)
    {
        for (uint b0 = 0; b0 < 256 && b0 < count; b0++)
            for (uint b1 = 0; b1 < 256 && b0 + (b1 << 8) < count; b1++)
                for (uint b2 = 0; b2 < 256 && b0 + (b1 << 8) + (b2 << 16) < count; b2++)
                    for (ulong b3 = 0; b3 < 256 && b0 + (b1 << 8) + (b2 << 16) + (b3 << 24) < count; b3++)
                    {
                        var key = new byte[4];
                        BinaryPrimitives.WriteUInt32LittleEndian(key, (uint)(b0 + (b1 << 8) + (b2 << 16) + (b3 << 24)));
                        yield return key;
                    }
    }
}
