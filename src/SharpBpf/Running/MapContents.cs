using SharpBpf.Maps;

namespace SharpBpf.Running;

/// <summary>One map entry: the key and either its value or, for per-CPU maps, one value per possible CPU (each ValueSize bytes).</summary>
public sealed record MapEntryContents(byte[] Key, byte[]? Value, IReadOnlyList<byte[]>? PerCpuValues);

/// <summary>
/// A map's contents as <c>prog run</c> reports them, read through <see cref="IBpfMap"/> so both engines' maps give the same
/// document: entries sorted by key bytes; QUEUE and STACK drained in pop order with empty keys.
/// </summary>
/// <param name="Name">The object's name for the map (its <see cref="Objects.MapSpec"/> name, the same for both engines).</param>
/// <param name="Type">bpftool's spelling ("hash", "percpu_array").</param>
public sealed record MapContents(string Name, string Type, IReadOnlyList<MapEntryContents> Entries)
{
    /// <summary>Whether <c>prog run</c> reports maps of this type: not ring buffers, perf event arrays, program arrays, maps of
    /// maps (their values are engine-local ids) nor bloom filters (they have no keys to walk).</summary>
    public static bool IsReported(BpfMapType type) => type is not (BpfMapType.Ringbuf or BpfMapType.UserRingbuf
        or BpfMapType.PerfEventArray or BpfMapType.ProgArray or BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps
        or BpfMapType.BloomFilter);

    /// <summary>Reads every map of a collection that <see cref="IsReported"/>, sorted by name. Drains queues and stacks.</summary>
    public static IReadOnlyList<MapContents> ReadAll(IEnumerable<KeyValuePair<string, IBpfMap>> maps) =>
        maps.Where(m => IsReported(m.Value.Type))
            .OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => Read(m.Key, m.Value))
            .ToList();

    /// <summary>Reads one map. QUEUE and STACK are popped until empty (they cannot be read otherwise).</summary>
    public static MapContents Read(string name, IBpfMap map)
    {
        var type = BpfNames.MapType(map.Type);
        var value = new byte[map.UserValueSize];
        var entries = new List<MapEntryContents>();
        if (map.Type is BpfMapType.Queue or BpfMapType.Stack)
        {
            for (int i = 0; i <= map.MaxEntries && map.TryLookupAndDelete(ReadOnlySpan<byte>.Empty, value); i++)
                entries.Add(new MapEntryContents([], value.ToArray(), null));
            return new MapContents(name, type, entries);
        }
        int slot = (map.ValueSize + 7) & ~7;
        bool perCpu = map.UserValueSize != map.ValueSize || map.Type is BpfMapType.PercpuArray or BpfMapType.PercpuHash
            or BpfMapType.LruPercpuHash or BpfMapType.PercpuCgroupStorage;
        var key = Array.Empty<byte>();
        var next = new byte[map.KeySize];
        while (map.TryGetNextKey(key, next))
        {
            key = next.ToArray();
            // A key deleted between next-key and lookup (LRU eviction) is simply not reported.
            if (!map.TryLookup(key, value))
                continue;
            entries.Add(perCpu
                ? new MapEntryContents(key, null, Enumerable.Range(0, value.Length / slot).Select(cpu => value.AsSpan(cpu * slot, map.ValueSize).ToArray()).ToList())
                : new MapEntryContents(key, value.ToArray(), null));
            if (entries.Count > map.MaxEntries)
                throw new BpfException($"map '{name}': next-key walked more than max_entries ({map.MaxEntries}) keys; its key order is broken");
        }
        entries.Sort((a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        return new MapContents(name, type, entries);
    }
}
