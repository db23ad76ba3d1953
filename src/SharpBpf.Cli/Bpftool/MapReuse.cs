using SharpBpf.Linux;
using SharpBpf.Objects;

namespace SharpBpf.Cli.Bpftool;

/// <summary>
/// <c>prog load ... map { idx IDX | name NAME } MAP</c>: the object's map is replaced by one already in the kernel, taking
/// that map's definition as libbpf's bpf_map__reuse_fd does. The kernel engine reuses maps pinned by name under its pin
/// root, so for the load each existing map is pinned under the object map's name in a private bpffs directory, which
/// <see cref="Dispose"/> removes again.
/// </summary>
public sealed class MapReuse : IDisposable
{
    private MapReuse(string? pinRoot) => PinRoot = pinRoot;

    /// <summary>The pin root to load with, or null when no map is reused.</summary>
    public string? PinRoot { get; }

    public static MapReuse Prepare(ObjectSpec spec, IReadOnlyList<(MapSpec Map, ObjectSelector Existing)> reuse)
    {
        if (reuse.Count == 0)
            return new MapReuse(null);
        if (spec.Maps.Any(m => m.Pinning != 0 && !reuse.Any(r => ReferenceEquals(r.Map, m))))
            throw new ArgumentException("map idx|name cannot be combined with an object that pins maps by name");
        var root = Path.Combine(BpfFs.DefaultPath, $"sharpbpf-load-{Environment.ProcessId}");
        BpfFs.CreatePinDirectory(root);
        var result = new MapReuse(root);
        try
        {
            foreach (var (map, existing) in reuse)
            {
                using var fd = existing.OpenOne(BpfObjectKind.Map);
                var info = KernelObjectInfo.GetMapInfo(fd);
                map.Type = info.Type;
                map.KeySize = info.KeySize;
                map.ValueSize = info.ValueSize;
                map.MaxEntries = info.MaxEntries;
                map.Flags = info.Flags;
                map.MapExtra = info.MapExtra;
                map.Pinning = 1;  // LIBBPF_PIN_BY_NAME
                BpfSyscall.Pin(fd, Path.Combine(root, map.Name));
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
        if (PinRoot is not null && Directory.Exists(PinRoot))
            Directory.Delete(PinRoot, recursive: true);
    }
}
