using System.Text;
using System.Text.Json;

namespace SharpBpf.Linux.Usdt;

/// <summary>`sharpbpf usdt list`: a binary's USDT probes as a table, or as JSON with the arguments parsed.</summary>
public static class UsdtListing
{
    public static string ToText(IReadOnlyList<UsdtProbe> probes)
    {
        string[] header = ["PROBE", "ADDRESS", "OFFSET", "SEMAPHORE", "ARGUMENTS"];
        var rows = probes.Select(p => new[]
        {
            p.FullName, $"0x{p.Address:x}", $"0x{p.FileOffset:x}", p.Semaphore == 0 ? "-" : $"0x{p.Semaphore:x}", p.ArgumentText,
        }).Prepend(header).ToList();
        var widths = Enumerable.Range(0, header.Length - 1).Select(c => rows.Max(r => r[c].Length)).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            for (var c = 0; c < widths.Length; c++)
                text.Append(row[c].PadRight(widths[c])).Append("  ");
            text.Append(row[^1]).Append('\n');
        }
        return text.ToString().Replace(" \n", "\n", StringComparison.Ordinal);
    }

    public static string ToJson(IReadOnlyList<UsdtProbe> probes)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (var p in probes)
            {
                w.WriteStartObject();
                w.WriteString("provider", p.Provider);
                w.WriteString("name", p.Name);
                w.WriteNumber("address", p.Address);
                w.WriteNumber("file_offset", p.FileOffset);
                w.WriteNumber("base", p.Base);
                w.WriteNumber("semaphore", p.Semaphore);
                w.WriteNumber("semaphore_file_offset", p.SemaphoreFileOffset);
                w.WriteString("args", p.ArgumentText);
                w.WriteStartArray("arguments");
                foreach (var a in p.Arguments)
                {
                    w.WriteStartObject();
                    w.WriteString("spec", a.Text);
                    w.WriteNumber("size", a.Bytes);
                    w.WriteBoolean("signed", a.Signed);
                    w.WriteString("kind", a.Kind.ToString().ToLowerInvariant());
                    if (a.Register is not null)
                        w.WriteString("register", a.Register);
                    if (a.Kind != UsdtArgumentKind.Register)
                        w.WriteNumber(a.Kind == UsdtArgumentKind.Constant ? "value" : "offset", a.Value);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
