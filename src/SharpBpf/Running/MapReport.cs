using SharpBpf.Maps;

namespace SharpBpf.Running;

/// <summary>Which maps <c>prog run</c> reports after the runs (<c>--maps none|changed|all</c>).</summary>
public enum MapReport
{
    /// <summary>No maps.</summary>
    None,
    /// <summary>The maps whose contents the runs changed (queues and stacks whenever they hold something).</summary>
    Changed,
    /// <summary>Every map <see cref="MapContents.IsReported"/> allows.</summary>
    All,
}

/// <summary>
/// Picks the maps to report: <see cref="Before"/> runs before the first run and, for <see cref="MapReport.Changed"/>, takes
/// a fingerprint of each map (an order-independent hash of its entries, in constant memory); <see cref="After"/> gives the
/// chosen maps, sorted by name, read lazily from the live maps.
/// </summary>
public sealed class MapSelection
{
    private readonly List<KeyValuePair<string, IBpfMap>> _maps;
    private readonly MapReport _report;
    private readonly Dictionary<string, ulong> _before = new(StringComparer.Ordinal);

    private MapSelection(IEnumerable<KeyValuePair<string, IBpfMap>> maps, MapReport report)
    {
        _report = report;
        _maps = report == MapReport.None ? [] : maps.Where(m => MapContents.IsReported(m.Value.Type))
            .OrderBy(m => m.Key, StringComparer.Ordinal).ToList();
        if (report == MapReport.Changed)
            foreach (var (name, map) in _maps)
                _before[name] = Fingerprint(map);
    }

    public static MapSelection Before(IEnumerable<KeyValuePair<string, IBpfMap>> maps, MapReport report) => new(maps, report);

    public IReadOnlyList<MapContents> After() => _maps
        .Where(m => _report == MapReport.All || IsDrained(m.Value) || Fingerprint(m.Value) != _before[m.Key])
        .Select(m => MapContents.Read(m.Key, m.Value))
        .ToList();

    /// <summary>Queues and stacks cannot be read without draining them: they are reported (possibly empty) every time.</summary>
    private static bool IsDrained(IBpfMap map) => map.Type is BpfMapType.Queue or BpfMapType.Stack;

    /// <summary>A hash of the entries that does not depend on their order (hash maps walk in insertion order).</summary>
    private static ulong Fingerprint(IBpfMap map)
    {
        if (IsDrained(map))
            return 0;
        ulong sum = 0, xor = 0;
        var key = Array.Empty<byte>();
        var next = new byte[map.KeySize];
        var value = new byte[map.UserValueSize];
        long walked = 0;
        while (map.TryGetNextKey(key, next) && walked++ <= map.MaxEntries)
        {
            (key, next) = (next, key.Length == next.Length ? key : new byte[map.KeySize]);
            if (!map.TryLookup(key, value))
                continue;
            ulong h = Fnv(value, Fnv(key, 14695981039346656037UL));
            sum += h;
            xor ^= h * 0x9E3779B97F4A7C15UL;
        }
        return sum ^ (xor << 1) ^ (ulong)walked;
    }

    private static ulong Fnv(ReadOnlySpan<byte> bytes, ulong hash)
    {
        foreach (byte b in bytes)
            hash = (hash ^ b) * 1099511628211UL;
        return hash;
    }
}
