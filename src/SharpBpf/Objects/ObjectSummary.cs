using System.Text;
using System.Text.Json;

namespace SharpBpf.Objects;

/// <summary>What <c>sharpbpf object show</c> prints about an <see cref="ObjectSpec"/>: programs, maps, global data,
/// externs, license and BTF, as aligned text or JSON. Type names are bpftool's (<see cref="BpfNames"/>).</summary>
public static class ObjectSummary
{
    public static string ToText(ObjectSpec obj, string file)
    {
        var sb = new StringBuilder();
        sb.Append("file: ").Append(file).Append('\n');
        sb.Append("byte order: ").Append(obj.BigEndian ? "big-endian" : "little-endian").Append('\n');
        sb.Append("license: ").Append(obj.License.Length > 0 ? obj.License : "(none)").Append('\n');
        if (obj.KernelVersion != 0)
            sb.Append("kernel version: ").Append(FormatVersion(obj.KernelVersion)).Append('\n');
        sb.Append("BTF: ").Append(obj.Btf is { } btf ? $"yes ({btf.Length} bytes)" : "no");
        sb.Append(", BTF.ext: ").Append(obj.BtfExt is { } ext ? $"yes ({ext.Length} bytes)" : "no").Append('\n');

        sb.Append("\nprograms:\n");
        Table(sb, ["name", "section", "type", "attach", "insns"],
            obj.Programs.Select(p => new[]
            {
                p.Name, p.SectionName, p.Type == BpfProgramType.Unspec ? "unknown" : BpfNames.Of(p.Type),
                p.ExpectedAttachType == default && p.Type != BpfProgramType.CgroupSkb ? (p.AttachTarget ?? "-") : BpfNames.Of(p.ExpectedAttachType) + (p.AttachTarget is null ? "" : " " + p.AttachTarget),
                p.Instructions.Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }));
        if (obj.Subprograms.Count > 0)
            sb.Append("subprograms: ").AppendJoin(", ", obj.Subprograms.Select(s => $"{s.Name} ({s.Instructions.Length} insns)")).Append('\n');

        var maps = obj.Maps.Where(m => !m.IsGlobalData).ToList();
        sb.Append("\nmaps:\n");
        Table(sb, ["name", "type", "key", "value", "max_entries", "flags", "extra"],
            maps.Select(m => new[]
            {
                m.Name, BpfNames.Of(m.Type), Num(m.KeySize), Num(m.ValueSize), Num(m.MaxEntries), $"0x{m.Flags:x}", Extra(m),
            }));

        var data = obj.Maps.Where(m => m.IsGlobalData).ToList();
        sb.Append("\nglobal data:\n");
        Table(sb, ["name", "section", "size", "flags"],
            data.Select(m => new[] { m.Name, m.DataSection!, Num(m.ValueSize), $"0x{m.Flags:x}" }));

        if (obj.Externs.Count > 0)
        {
            sb.Append("\nexterns:\n");
            Table(sb, ["name", "kind", "offset", "size", "weak"],
                obj.Externs.Select(e => new[] { e.Name, e.Kind.ToString().ToLowerInvariant(), e.Offset < 0 ? "-" : Num(e.Offset), Num(e.Size), e.Weak ? "yes" : "no" }));
        }
        return sb.ToString();
    }

    public static string ToJson(ObjectSpec obj, string file)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("file", file);
            w.WriteBoolean("big_endian", obj.BigEndian);
            w.WriteString("license", obj.License);
            w.WriteNumber("kernel_version", obj.KernelVersion);
            w.WriteBoolean("btf", obj.Btf is not null);
            w.WriteBoolean("btf_ext", obj.BtfExt is not null);
            w.WriteStartArray("programs");
            foreach (var p in obj.Programs)
            {
                w.WriteStartObject();
                w.WriteString("name", p.Name);
                w.WriteString("section", p.SectionName);
                w.WriteString("type", p.Type == BpfProgramType.Unspec ? "unknown" : BpfNames.Of(p.Type));
                w.WriteString("expected_attach_type", BpfNames.Of(p.ExpectedAttachType));
                if (p.AttachTarget is not null)
                    w.WriteString("attach_target", p.AttachTarget);
                w.WriteNumber("insns", p.Instructions.Length);
                w.WriteBoolean("sleepable", p.Sleepable);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("subprograms");
            foreach (var s in obj.Subprograms)
            {
                w.WriteStartObject();
                w.WriteString("name", s.Name);
                w.WriteString("section", s.SectionName);
                w.WriteNumber("insns", s.Instructions.Length);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("maps");
            foreach (var m in obj.Maps.Where(m => !m.IsGlobalData))
                WriteMap(w, m);
            w.WriteEndArray();
            w.WriteStartArray("global_data");
            foreach (var m in obj.Maps.Where(m => m.IsGlobalData))
            {
                w.WriteStartObject();
                w.WriteString("name", m.Name);
                w.WriteString("section", m.DataSection);
                w.WriteNumber("size", m.ValueSize);
                w.WriteNumber("flags", m.Flags);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("externs");
            foreach (var e in obj.Externs)
            {
                w.WriteStartObject();
                w.WriteString("name", e.Name);
                w.WriteString("kind", e.Kind.ToString().ToLowerInvariant());
                w.WriteNumber("offset", e.Offset);
                w.WriteNumber("size", e.Size);
                w.WriteBoolean("weak", e.Weak);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void WriteMap(Utf8JsonWriter w, MapSpec m)
    {
        w.WriteStartObject();
        w.WriteString("name", m.Name);
        w.WriteString("type", BpfNames.Of(m.Type));
        w.WriteNumber("key_size", m.KeySize);
        w.WriteNumber("value_size", m.ValueSize);
        w.WriteNumber("max_entries", m.MaxEntries);
        w.WriteNumber("flags", m.Flags);
        if (m.Pinning != 0)
            w.WriteNumber("pinning", m.Pinning);
        if (m.MapExtra != 0)
            w.WriteNumber("map_extra", m.MapExtra);
        if (m.InnerMap is not null)
        {
            w.WritePropertyName("inner_map");
            WriteMap(w, m.InnerMap);
        }
        if (m.Contents.Count > 0)
        {
            w.WriteStartArray("values");
            foreach (var slot in m.Contents)
            {
                w.WriteStartObject();
                w.WriteNumber("index", slot.Index);
                w.WriteString("target", slot.Target);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    private static string Extra(MapSpec m)
    {
        var parts = new List<string>();
        if (m.InnerMap is { } inner)
            parts.Add($"inner {BpfNames.Of(inner.Type)} {inner.KeySize}/{inner.ValueSize}/{inner.MaxEntries}");
        if (m.Contents.Count > 0)
            parts.Add("values " + string.Join(",", m.Contents.Select(c => $"[{c.Index}]={c.Target}")));
        if (m.Pinning != 0)
            parts.Add("pinned by name");
        if (m.MapExtra != 0)
            parts.Add($"map_extra {m.MapExtra}");
        return parts.Count == 0 ? "" : string.Join("; ", parts);
    }

    private static string FormatVersion(uint v) => $"{v >> 16}.{(v >> 8) & 0xff}.{v & 0xff} (0x{v:x})";

    private static string Num(int n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void Table(StringBuilder sb, string[] header, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { header };
        all.AddRange(rows);
        if (all.Count == 1)
        {
            sb.Append("  (none)\n");
            return;
        }
        var widths = new int[header.Length];
        foreach (var row in all)
            for (int i = 0; i < row.Length; i++)
                widths[i] = Math.Max(widths[i], row[i].Length);
        foreach (var row in all)
        {
            sb.Append("  ");
            for (int i = 0; i < row.Length; i++)
            {
                sb.Append(row[i]);
                if (i < row.Length - 1)
                    sb.Append(' ', widths[i] - row[i].Length + 2);
            }
            while (sb.Length > 0 && sb[^1] == ' ')
                sb.Length--;
            sb.Append('\n');
        }
    }
}
