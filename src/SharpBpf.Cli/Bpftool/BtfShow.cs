using SharpBpf.Linux;
using SharpBpf.Text;

namespace SharpBpf.Cli.Bpftool;

/// <summary><c>btf show [id N]</c>: BTF objects in the kernel with the programs and maps that use them, in bpftool 7.1's shapes.</summary>
public static class BtfShow
{
    public sealed record Entry(BtfInfo Info, IReadOnlyList<uint> ProgramIds, IReadOnlyList<uint> MapIds);

    /// <summary>Every BTF object (or only <paramref name="onlyId"/>), with the ids of programs and maps referring to each.</summary>
    public static List<Entry> Collect(uint? onlyId = null)
    {
        var programs = new Dictionary<uint, List<uint>>();
        var maps = new Dictionary<uint, List<uint>>();
        foreach (var id in BpfSyscall.Ids(BpfObjectKind.Program))
        {
            using var fd = BpfSyscall.TryGetFdById(BpfObjectKind.Program, id);
            if (fd is not null && KernelObjectInfo.GetProgramInfo(fd).BtfId is var btf and > 0)
                Add(programs, btf, id);
        }
        foreach (var id in BpfSyscall.Ids(BpfObjectKind.Map))
        {
            using var fd = BpfSyscall.TryGetFdById(BpfObjectKind.Map, id);
            if (fd is not null && KernelObjectInfo.GetMapInfo(fd).BtfId is var btf and > 0)
                Add(maps, btf, id);
        }
        var entries = new List<Entry>();
        IEnumerable<uint> ids = onlyId is uint one ? [one] : BpfSyscall.Ids(BpfObjectKind.Btf);
        foreach (var id in ids)
        {
            using var fd = onlyId is null ? BpfSyscall.TryGetFdById(BpfObjectKind.Btf, id) : BpfSyscall.GetFdById(BpfObjectKind.Btf, id);
            if (fd is null)
                continue;
            var info = KernelObjectInfo.GetBtfInfo(fd);
            entries.Add(new Entry(info, programs.GetValueOrDefault(id) ?? [], maps.GetValueOrDefault(id) ?? []));
        }
        return entries;
    }

    private static void Add(Dictionary<uint, List<uint>> table, uint btf, uint id)
    {
        if (!table.TryGetValue(btf, out var list))
            table[btf] = list = [];
        list.Add(id);
    }

    public static void Render(TextWriter output, IReadOnlyList<Entry> entries, OutputFormat format, bool asArray)
    {
        if (format == OutputFormat.Plain)
        {
            foreach (var e in entries)
            {
                output.Write($"{e.Info.Id}: ");
                output.Write(e.Info.IsKernel ? $"name [{e.Info.Name}]  " : e.Info.Name.Length > 0 ? $"name {e.Info.Name}  " : "name <anon>  ");
                output.Write($"size {e.Info.Size}B");
                if (e.ProgramIds.Count > 0)
                    output.Write("  prog_ids " + string.Join(',', e.ProgramIds));
                if (e.MapIds.Count > 0)
                    output.Write("  map_ids " + string.Join(',', e.MapIds));
                output.Write('\n');
            }
            return;
        }
        var j = new BpftoolJsonWriter(output, format == OutputFormat.PrettyJson);
        if (asArray)
            j.StartArray();
        foreach (var e in entries)
        {
            j.StartObject();
            j.Field("id", e.Info.Id);
            j.Field("size", (ulong)e.Info.Size);
            j.Name("prog_ids");
            j.StartArray();
            foreach (var id in e.ProgramIds)
                j.Number(id);
            j.EndArray();
            j.Name("map_ids");
            j.StartArray();
            foreach (var id in e.MapIds)
                j.Number(id);
            j.EndArray();
            j.Field("kernel", e.Info.IsKernel);
            if (e.Info.Name.Length > 0)
                j.Field("name", e.Info.Name);
            j.EndObject();
        }
        if (asArray)
            j.EndArray();
        j.Finish();
    }
}
