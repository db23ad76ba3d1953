using System.Text;
using SharpBpf.Linux.Bpftool;

namespace SharpBpf.Running;

/// <summary>Renders a <see cref="ProgramRunResult"/> as bpftool 7.1's <c>prog run</c> does, whatever engine produced it.</summary>
public static class ProgramRunOutput
{
    /// <param name="dataOutToStdout">data_out "-": print the output packet (JSON "data_out" array, text hex dump).</param>
    /// <param name="ctxOutToStdout">ctx_out "-": likewise for the context.</param>
    public static void Render(TextWriter output, ProgramRunResult result, uint repeat, OutputFormat format, bool dataOutToStdout = false, bool ctxOutToStdout = false)
    {
        if (format != OutputFormat.Plain)
        {
            var json = new BpftoolJsonWriter(output, format == OutputFormat.PrettyJson);
            json.StartObject();
            if (dataOutToStdout)
                ByteArray(json, "data_out", result.DataOut);
            if (ctxOutToStdout)
                ByteArray(json, "context_out", result.ContextOut);
            json.Field("retval", (ulong)result.ReturnValue);
            json.Field("duration", result.DurationNs);
            json.EndObject();
            json.Finish();
            return;
        }
        if (dataOutToStdout)
            output.Write(HexDump(result.DataOut));
        if (ctxOutToStdout)
            output.Write(HexDump(result.ContextOut));
        output.Write($"Return value: {result.ReturnValue}, duration{(repeat > 1 ? " (average)" : "")}: {result.DurationNs}ns\n");
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
