using SharpBpf.Linux;
using SharpBpf.Text;
using System.Globalization;

namespace SharpBpf.Cli.Bpftool;

/// <summary><c>prog show</c> in bpftool 7.1's text and JSON shapes.</summary>
public static class ProgramShow
{
    /// <summary>One program as shown: the kernel's info plus fdinfo's memlock and the paths that pin it.</summary>
    public sealed record Entry(ProgramInfo Info, long? Memlock, IReadOnlyList<string> Pinned)
    {
        /// <summary>The name to show: the kernel keeps 15 characters, so a longer one comes from the BTF of the main function.</summary>
        public string Name { get; init; } = Info.Name;
    }

    public static Entry Describe(BpfFd fd, IReadOnlyDictionary<uint, List<string>>? pins = null)
    {
        var info = KernelObjectInfo.GetProgramInfo(fd);
        return new Entry(info, KernelObjectInfo.Memlock(fd), pins is not null && pins.TryGetValue(info.Id, out var p) ? p : [])
        {
            Name = FullName(fd, info),
        };
    }

    /// <summary>bpftool's get_prog_full_name (see <see cref="LoadedProgramName"/>).</summary>
    public static string FullName(BpfFd fd, ProgramInfo info) => LoadedProgramName.Of(fd, info);

    /// <summary>Every program in the kernel (skipping those that vanish while listed), by id.</summary>
    public static List<Entry> All(IReadOnlyDictionary<uint, List<string>>? pins = null) =>
        BpftoolListing.DescribeAll(BpfObjectKind.Program, fd => Describe(fd, pins));

    /// <param name="asArray">JSON: a root array (listing) or a single object (one program selected).</param>
    /// <param name="showStats">print run_time_ns/run_cnt even when zero (stats were asked for).</param>
    public static void Render(TextWriter output, IReadOnlyList<Entry> entries, OutputFormat format, bool asArray, bool showStats = false) =>
        BpftoolListing.Render(output, entries, format, asArray, (o, e) => RenderPlain(o, e, showStats), (j, e) => RenderJson(j, e, showStats));

    private static void RenderPlain(TextWriter o, Entry e, bool showStats)
    {
        var i = e.Info;
        o.Write($"{i.Id}: ");
        var type = BpfNames.ProgramTypeOrNull(i.Type);
        o.Write(type is null ? $"type {(uint)i.Type}  " : $"{type}  ");
        if (e.Name.Length > 0)
            o.Write($"name {e.Name}  ");
        o.Write($"tag {i.TagHex}");
        if (i.GplCompatible)
            o.Write("  gpl");
        if (i.RunTimeNs != 0 || showStats)
            o.Write($" run_time_ns {i.RunTimeNs} run_cnt {i.RunCount}");
        if (i.RecursionMisses != 0)
            o.Write($" recursion_misses {i.RecursionMisses}");
        o.Write('\n');
        if (i.LoadTimeNs != 0)
            o.Write($"\tloaded_at {FormatLoadTime(i.LoadTimeNs)}  uid {i.CreatedByUid}\n");
        o.Write($"\txlated {i.XlatedLength}B");
        o.Write(i.JitedLength != 0 ? $"  jited {i.JitedLength}B" : "  not jited");
        if (e.Memlock is long memlock)
            o.Write($"  memlock {memlock}B");
        if (i.MapIds.Length > 0)
            o.Write($"  map_ids {string.Join(',', i.MapIds)}");
        foreach (var path in e.Pinned)
            o.Write($"\n\tpinned {path}");
        if (i.BtfId != 0)
            o.Write($"\n\tbtf_id {i.BtfId}");
        o.Write('\n');
    }

    private static void RenderJson(BpftoolJsonWriter j, Entry e, bool showStats)
    {
        var i = e.Info;
        j.StartObject();
        j.Field("id", i.Id);
        if (BpfNames.ProgramTypeOrNull(i.Type) is { } type)
            j.Field("type", type);
        else
            j.Field("type", (ulong)i.Type);
        if (e.Name.Length > 0)
            j.Field("name", e.Name);
        j.Field("tag", i.TagHex);
        j.Field("gpl_compatible", i.GplCompatible);
        if (i.RunTimeNs != 0 || showStats)
        {
            j.Field("run_time_ns", i.RunTimeNs);
            j.Field("run_cnt", i.RunCount);
        }
        if (i.RecursionMisses != 0)
            j.Field("recursion_misses", i.RecursionMisses);
        if (i.LoadTimeNs != 0)
        {
            j.Field("loaded_at", KernelObjectInfo.BootTimeToUnixSeconds(i.LoadTimeNs));
            j.Field("uid", i.CreatedByUid);
        }
        j.Field("bytes_xlated", (ulong)i.XlatedLength);
        j.Field("jited", i.JitedLength != 0);
        if (i.JitedLength != 0)
            j.Field("bytes_jited", (ulong)i.JitedLength);
        if (e.Memlock is long memlock)
            j.Field("bytes_memlock", memlock);
        if (i.MapIds.Length > 0)
        {
            j.Name("map_ids");
            j.StartArray();
            foreach (var id in i.MapIds)
                j.Number(id);
            j.EndArray();
        }
        if (e.Pinned.Count > 0)
        {
            j.Name("pinned");
            j.StartArray();
            foreach (var path in e.Pinned)
                j.String(path);
            j.EndArray();
        }
        if (i.BtfId != 0)
            j.Field("btf_id", i.BtfId);
        j.EndObject();
    }

    /// <summary>bpftool's "%FT%T%z" of the load time in local time: 2026-11-22T00:06:26+0000.</summary>
    public static string FormatLoadTime(ulong loadTimeNs)
    {
        var local = DateTimeOffset.FromUnixTimeSeconds(KernelObjectInfo.BootTimeToUnixSeconds(loadTimeNs)).ToLocalTime();
        var offset = local.Offset;
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        offset = offset.Duration();
        return local.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + $"{sign}{offset.Hours:00}{offset.Minutes:00}";
    }
}
