using SharpBpf.Linux;
using SharpBpf.Objects;

namespace SharpBpf.Cli.Bpftool;

/// <summary>
/// <c>prog load ... map { idx IDX | name NAME } MAP</c>: the object's map is replaced by one already in the kernel, taking
/// that map's definition as libbpf's bpf_map__reuse_fd does; the engine uses the descriptors
/// (<see cref="KernelEngineOptions.ReuseMaps"/>), which <see cref="Dispose"/> closes.
/// </summary>
public sealed class MapReuse : IDisposable
{
    private readonly Dictionary<string, BpfFd> _maps = new(StringComparer.Ordinal);

    /// <summary>The existing maps by the object's map name, for <see cref="KernelEngineOptions.ReuseMaps"/>.</summary>
    public IReadOnlyDictionary<string, BpfFd> Maps => _maps;

    public static MapReuse Prepare(IReadOnlyList<(MapSpec Map, ObjectSelector Existing)> reuse)
    {
        var result = new MapReuse();
        try
        {
            foreach (var (map, existing) in reuse)
            {
                var fd = existing.OpenOne(BpfObjectKind.Map);
                result._maps[map.Name] = fd;
                var info = KernelObjectInfo.GetMapInfo(fd);
                map.Type = info.Type;
                map.KeySize = info.KeySize;
                map.ValueSize = info.ValueSize;
                map.MaxEntries = info.MaxEntries;
                map.Flags = info.Flags;
                map.MapExtra = info.MapExtra;
            }
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }

    public void Dispose()
    {
        foreach (var fd in _maps.Values)
            fd.Dispose();
        _maps.Clear();
    }
}
