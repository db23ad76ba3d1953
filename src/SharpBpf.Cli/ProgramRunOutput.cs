using SharpBpf.Cli.Bpftool;
using SharpBpf.Running;
using SharpBpf.Text;
using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SharpBpf.Cli;

/// <summary>
/// Renders what <c>prog run</c> produced, whatever engine ran it: one run as bpftool 7.1 prints it (text and JSON), and
/// the whole result (every run and the object's maps) as the <c>prog run --json</c> document.
/// </summary>
public static class ProgramRunOutput
{
    /// <summary>
    /// Writes the <c>prog run --json</c> document for an object: <c>{"runs":[{"retval":2,"data_out":"hex"}|{"error":"..."}],
    /// "maps":[{"name":..,"type":..,"entries":[{"key":"hex","value":"hex"}|{"key":"hex","values":["hex",..]}]}]}</c>,
    /// hex lower-case without separators, then a newline; "ctx_out" follows "data_out" when <paramref name="withContext"/>.
    /// Durations are left out, so two engines that agree produce the same bytes. The document is written as the map
    /// entries are enumerated, in pieces of at most about 64 KiB, so its size is not bounded by memory.
    /// </summary>
    public static void RenderDocument(Stream output, ProgramRunReport result, bool pretty = false, bool withContext = false)
    {
        using (var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = pretty, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            Write(json, result, withContext);
        output.WriteByte((byte)'\n');
        output.Flush();
    }

    /// <summary>The document as a string, without a trailing newline (what agreement tests compare).</summary>
    public static string Document(ProgramRunReport result, bool pretty = false, bool withContext = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = pretty, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            Write(json, result, withContext);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private const int FlushAbove = 64 << 10;

    private static void Write(Utf8JsonWriter json, ProgramRunReport result, bool withContext)
    {
        json.WriteStartObject();
        json.WriteStartArray("runs");
        foreach (var run in result.Runs)
        {
            json.WriteStartObject();
            if (run.Error is { } error)
            {
                json.WriteString("error", error);
            }
            else
            {
                json.WriteNumber("retval", (uint)run.ReturnValue);
                json.WriteString("data_out", Hex(run.DataOut));
                if (withContext)
                    json.WriteString("ctx_out", Hex(run.ContextOut));
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("maps");
        foreach (var map in result.Maps)
        {
            json.WriteStartObject();
            json.WriteString("name", map.Name);
            json.WriteString("type", map.Type);
            json.WriteStartArray("entries");
            foreach (var entry in map.Entries)
            {
                WriteEntry(json, entry);
                if (json.BytesPending > FlushAbove)
                    json.Flush();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteEntry(Utf8JsonWriter json, MapEntryContents entry)
    {
        json.WriteStartObject();
        json.WriteString("key", Hex(entry.Key));
        if (entry.PerCpuValues is { } values)
        {
            json.WriteStartArray("values");
            foreach (var v in values)
                json.WriteStringValue(Hex(v));
            json.WriteEndArray();
        }
        else
        {
            json.WriteString("value", Hex(entry.Value ?? []));
        }
        json.WriteEndObject();
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    /// <param name="dataOutToStdout">data_out "-": print the output packet (JSON "data_out" array, text hex dump).</param>
    /// <param name="ctxOutToStdout">ctx_out "-": likewise for the context.</param>
    public static void Render(TextWriter output, RunResult result, int repeat, OutputFormat format, bool dataOutToStdout = false, bool ctxOutToStdout = false)
    {
        if (format != OutputFormat.Plain)
        {
            var json = new BpftoolJsonWriter(output, format == OutputFormat.PrettyJson);
            json.StartObject();
            if (dataOutToStdout)
                ByteArray(json, "data_out", result.DataOut);
            if (ctxOutToStdout)
                ByteArray(json, "context_out", result.ContextOut);
            json.Field("retval", (ulong)(uint)result.ReturnValue);
            json.Field("duration", result.DurationNs);
            json.EndObject();
            json.Finish();
            return;
        }
        if (dataOutToStdout)
            output.Write(HexDump(result.DataOut));
        if (ctxOutToStdout)
            output.Write(HexDump(result.ContextOut));
        output.Write($"Return value: {(uint)result.ReturnValue}, duration{(repeat > 1 ? " (average)" : "")}: {result.DurationNs}ns\n");
    }

    private static void ByteArray(BpftoolJsonWriter json, string name, byte[] bytes)
    {
        json.Name(name);
        json.StartArray();
        foreach (var b in bytes)
            json.Number((ulong)b);
        json.EndArray();
    }

    /// <summary>bpftool's hex dump of output data: offset, 16 bytes in 2-byte groups, then the printable characters.</summary>
    public static string HexDump(ReadOnlySpan<byte> data)
    {
        var sb = new StringBuilder();
        for (int line = 0; line < data.Length; line += 16)
        {
            sb.Append(line.ToString("x7")).Append('\t');
            int n = Math.Min(16, data.Length - line);
            for (int i = 0; i < 16; i++)
            {
                sb.Append(i < n ? data[line + i].ToString("x2") : "  ");
                if (i % 2 == 1)
                    sb.Append(' ');
            }
            sb.Append("| ");
            for (int i = 0; i < n; i++)
            {
                byte b = data[line + i];
                sb.Append(b >= 0x20 && b < 0x7f ? (char)b : '.');
                if (i == 7 && n > 8)
                    sb.Append(' ');
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
