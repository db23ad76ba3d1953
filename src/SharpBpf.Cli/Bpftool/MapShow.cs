using SharpBpf.Linux;
using SharpBpf.Text;

namespace SharpBpf.Cli.Bpftool;

/// <summary>
/// <c>map show</c> in bpftool 7.1's text and JSON shapes. Unlike bpftool 7.1's listing, a map without BTF
/// never shows the previous map's btf_id: each map's info is read fresh.
/// </summary>
public static class MapShow
{
    public sealed record Entry(MapInfo Info, long? Memlock, bool? Frozen, IReadOnlyList<string> Pinned, string? OwnerProgramType, bool? OwnerJited);

    public static Entry Describe(BpfFd fd, IReadOnlyDictionary<uint, List<string>>? pins = null)
    {
        var info = KernelObjectInfo.GetMapInfo(fd);
        string? ownerType = null;
        bool? ownerJited = null;
        if (info.Type == BpfMapType.ProgArray)
        {
            if (KernelObjectInfo.FdInfoField(fd, "owner_prog_type") is { } t && uint.TryParse(t, out var typeNumber))
                ownerType = BpfNames.ProgramTypeOrNull((BpfProgramType)typeNumber) ?? typeNumber.ToString();
            if (KernelObjectInfo.FdInfoField(fd, "owner_jited") is { } jited)
                ownerJited = jited != "0";
        }
        return new Entry(info, KernelObjectInfo.Memlock(fd), KernelObjectInfo.IsFrozen(fd),
            pins is not null && pins.TryGetValue(info.Id, out var p) ? p : [], ownerType, ownerJited);
    }

    public static List<Entry> All(IReadOnlyDictionary<uint, List<string>>? pins = null) =>
        BpftoolListing.DescribeAll(BpfObjectKind.Map, fd => Describe(fd, pins));

    public static void Render(TextWriter output, IReadOnlyList<Entry> entries, OutputFormat format, bool asArray) =>
        BpftoolListing.Render(output, entries, format, asArray, RenderPlain, RenderJson);

    private static void RenderPlain(TextWriter o, Entry e)
    {
        var i = e.Info;
        o.Write($"{i.Id}: ");
        var type = BpfNames.MapTypeOrNull(i.Type);
        o.Write(type is null ? $"type {(uint)i.Type}  " : $"{type}  ");
        if (i.Name.Length > 0)
            o.Write($"name {i.Name}  ");
        o.Write($"flags 0x{i.Flags:x}");
        o.Write('\n');
        o.Write($"\tkey {i.KeySize}B  value {i.ValueSize}B  max_entries {i.MaxEntries}");
        if (e.Memlock is long memlock)
            o.Write($"  memlock {memlock}B");
        if (e.OwnerProgramType is not null)
        {
            o.Write($"\n\towner_prog_type {e.OwnerProgramType}  ");
            if (e.OwnerJited is bool jited)
                o.Write(jited ? "owner jited" : "owner not jited");
        }
        bool frozen = e.Frozen == true;
        if (i.BtfId != 0 || frozen)
            o.Write("\n\t");
        if (i.BtfId != 0)
            o.Write($"btf_id {i.BtfId}");
        if (frozen)
            o.Write(i.BtfId != 0 ? "  frozen" : "frozen");
        foreach (var path in e.Pinned)
            o.Write($"\n\tpinned {path}");
        o.Write('\n');
    }

    private static void RenderJson(BpftoolJsonWriter j, Entry e)
    {
        var i = e.Info;
        j.StartObject();
        j.Field("id", i.Id);
        if (BpfNames.MapTypeOrNull(i.Type) is { } type)
            j.Field("type", type);
        else
            j.Field("type", (ulong)i.Type);
        if (i.Name.Length > 0)
            j.Field("name", i.Name);
        j.Field("flags", (ulong)i.Flags);
        j.Field("bytes_key", (ulong)i.KeySize);
        j.Field("bytes_value", (ulong)i.ValueSize);
        j.Field("max_entries", (ulong)i.MaxEntries);
        if (e.Memlock is long memlock)
            j.Field("bytes_memlock", memlock);
        if (e.OwnerProgramType is not null)
        {
            j.Field("owner_prog_type", e.OwnerProgramType);
            if (e.OwnerJited is bool jited)
                j.Field("owner_jited", jited);
        }
        if (e.Frozen is bool frozen)
            j.Field("frozen", frozen ? 1L : 0L);
        if (i.BtfId != 0)
            j.Field("btf_id", i.BtfId);
        if (e.Pinned.Count > 0)
        {
            j.Name("pinned");
            j.StartArray();
            foreach (var path in e.Pinned)
                j.String(path);
            j.EndArray();
        }
        j.EndObject();
    }
}
