using SharpBpf.Native;
using SharpBpf.Linux;
using SharpBpf.Maps;
using SharpBpf.Text;
using System.Text;

namespace SharpBpf.Cli.Bpftool;

/// <summary>
/// <c>map dump</c> and <c>map lookup</c> entries in bpftool 7.1's shapes (raw hex; the BTF-formatted view needs
/// the BTF layer). Per-CPU values are split per possible CPU.
/// </summary>
public static class MapDump
{
    /// <summary>
    /// Dumps every entry of <paramref name="map"/>. Without BTF, plain text ends with "Found N elements"; a map with BTF
    /// prints its entries formatted (plain: a pretty JSON array of formatted entries; JSON: a "formatted" member).
    /// </summary>
    public static int Dump(TextWriter output, KernelMap map, OutputFormat format) => Dump(output, map, format, out _);

    /// <summary>As bpftool, a walk the kernel stops (a ring buffer has no keys to walk) still ends the output
    /// properly; <paramref name="walkErrno"/> says why (bpftool then exits with -errno).</summary>
    public static int Dump(TextWriter output, KernelMap map, OutputFormat format, out int walkErrno)
    {
        int stoppedBy = 0;
        int count = DumpEntries(output, map, format, e => stoppedBy = e);
        walkErrno = stoppedBy;
        return count;
    }

    private static int DumpEntries(TextWriter output, KernelMap map, OutputFormat format, Action<int> stopped)
    {
        int count = 0;
        var btf = LoadBtf(map.Info);
        if (format == OutputFormat.Plain && btf is null)
        {
            var sb = new StringBuilder();
            foreach (var (key, value, errno) in Walk(map, stopped))
            {
                if (value is null)
                {
                    AppendPlainError(sb, map.Info, key, errno);
                    continue;
                }
                AppendPlain(sb, map.Info, key, value);
                count++;
                if (sb.Length > 1 << 16)
                {
                    output.Write(sb);
                    sb.Clear();
                }
            }
            output.Write(sb);
            output.Write($"Found {count} element{(count == 1 ? "" : "s")}\n");
            return count;
        }
        var json = new BpftoolJsonWriter(output, format != OutputFormat.Json);
        json.StartArray();
        foreach (var (key, value, errno) in Walk(map, stopped))
        {
            if (value is null)
            {
                if (format != OutputFormat.Plain && !SilentLookupError(map.Info, errno))
                {
                    json.StartObject();
                    json.Name("key");
                    HexArray(json, key);
                    json.Name("value");
                    json.StartObject();
                    json.Field("error", LibC.ErrorText(errno));
                    json.EndObject();
                    json.EndObject();
                }
                continue;
            }
            if (format == OutputFormat.Plain)
                WriteFormatted(json, new BtfValueFormatter(btf!, plainText: true), map.Info, key, value);
            else
                WriteJson(json, map.Info, key, value, btf);
            count++;
        }
        json.EndArray();
        json.Finish();
        return count;
    }

    /// <summary>bpftool's lookup output: the entry, or "Not found" (JSON: null). Returns whether the key was found.</summary>
    public static bool Lookup(TextWriter output, KernelMap map, byte[] key, OutputFormat format)
    {
        var value = new byte[map.UserValueSize];
        bool found = map.TryLookup(key, value);
        var btf = found ? LoadBtf(map.Info) : null;
        if (format != OutputFormat.Plain)
        {
            var json = new BpftoolJsonWriter(output, format == OutputFormat.PrettyJson);
            if (found)
                WriteJson(json, map.Info, key, value, btf);
            else
                json.Null();
            json.Finish();
            return found;
        }
        if (!found)
        {
            output.Write("key:\n" + Hex(key) + "\n\nNot found\n");
            return false;
        }
        if (btf is not null)
        {
            var json = new BpftoolJsonWriter(output, pretty: true);
            WriteFormatted(json, new BtfValueFormatter(btf, plainText: true), map.Info, key, value);
            json.Finish();
            return true;
        }
        var sb = new StringBuilder();
        AppendPlain(sb, map.Info, key, value);
        output.Write(sb);
        return true;
    }

    public static SharpBpf.Btf.BtfSpec? LoadBtf(MapInfo info) => LoadedBtf.TryParse(info.BtfId);

    /// <summary>bpftool's do_dump_btf: {"key": formatted, "value": formatted} (per-CPU: "values": [{"cpu", "value"}]).</summary>
    public static void WriteFormatted(BpftoolJsonWriter json, BtfValueFormatter formatter, MapInfo info, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        json.StartObject();
        if (info.BtfKeyTypeId != 0)
        {
            json.Name("key");
            formatter.Write(json, info.BtfKeyTypeId, key);
        }
        uint valueType = info.BtfVmlinuxValueTypeId != 0 ? info.BtfVmlinuxValueTypeId : info.BtfValueTypeId;
        if (!PossibleCpus.IsPerCpu(info.Type))
        {
            json.Name("value");
            formatter.Write(json, valueType, value);
        }
        else
        {
            int step = (info.ValueSize + 7) & ~7;
            json.Name("values");
            json.StartArray();
            for (int cpu = 0; cpu < value.Length / Math.Max(step, 1); cpu++)
            {
                json.StartObject();
                json.Field("cpu", (long)cpu);
                json.Name("value");
                formatter.Write(json, valueType, value.Slice(cpu * step, info.ValueSize));
                json.EndObject();
            }
            json.EndArray();
        }
        json.EndObject();
    }

    /// <summary>The map's entries until the kernel refuses to go on (get-next-key failing with other than ENOENT).</summary>
    private static IEnumerable<(byte[] Key, byte[]? Value, int Errno)> Walk(KernelMap map, Action<int> stopped)
    {
        using var entries = map.EntriesOrErrors().GetEnumerator();
        while (true)
        {
            try
            {
                if (!entries.MoveNext())
                    yield break;
            }
            catch (BpfMapException e)
            {
                stopped(e.ErrorNumber);
                yield break;
            }
            yield return entries.Current;
        }
    }

    /// <summary>bpftool prints nothing for a missing slot of a prog array or map of maps.</summary>
    private static bool SilentLookupError(MapInfo info, int errno) => errno == Errno.ENOENT
        && info.Type is BpfMapType.ProgArray or BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps;

    /// <summary>bpftool's <c>print_entry_error</c> in plain text: the key, then the error where the value would be.</summary>
    private static void AppendPlainError(StringBuilder sb, MapInfo info, ReadOnlySpan<byte> key, int errno)
    {
        if (SilentLookupError(info, errno))
            return;
        var message = errno == Errno.ENOENT ? "<no entry>"
            : errno == Errno.ENOSPC && info.Type == BpfMapType.ReuseportSockarray ? "<cannot read>"
            : LibC.ErrorText(errno);
        bool breakNames = info.KeySize > 16 || message.Length > 16;
        bool singleLine = info.KeySize + message.Length <= 24 && !breakNames;
        sb.Append("key:").Append(breakNames ? '\n' : ' ').Append(Hex(key[..info.KeySize])).Append(singleLine ? "  " : "\n");
        sb.Append("value:").Append(breakNames ? '\n' : ' ').Append(message).Append('\n');
    }

    public static void AppendPlain(StringBuilder sb, MapInfo info, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (!PossibleCpus.IsPerCpu(info.Type))
        {
            bool breakNames = info.KeySize > 16 || info.ValueSize > 16;
            bool singleLine = info.KeySize + info.ValueSize <= 24 && !breakNames;
            if (info.KeySize > 0)
            {
                sb.Append("key:").Append(breakNames ? '\n' : ' ').Append(Hex(key[..info.KeySize])).Append(singleLine ? "  " : "\n");
            }
            if (info.ValueSize > 0)
                sb.Append("value:").Append(breakNames ? '\n' : ' ').Append(Hex(value[..info.ValueSize]));
            sb.Append('\n');
            return;
        }
        int step = (info.ValueSize + 7) & ~7;
        int cpus = value.Length / Math.Max(step, 1);
        if (info.KeySize > 0)
            sb.Append("key:\n").Append(Hex(key[..info.KeySize])).Append('\n');
        if (info.ValueSize > 0)
            for (int cpu = 0; cpu < cpus; cpu++)
                sb.Append($"value (CPU {cpu:00}):").Append(info.ValueSize > 16 ? '\n' : ' ')
                  .Append(Hex(value.Slice(cpu * step, info.ValueSize))).Append('\n');
    }

    public static void WriteJson(BpftoolJsonWriter json, MapInfo info, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, SharpBpf.Btf.BtfSpec? btf = null)
    {
        json.StartObject();
        json.Name("key");
        HexArray(json, key[..info.KeySize]);
        if (!PossibleCpus.IsPerCpu(info.Type))
        {
            json.Name("value");
            HexArray(json, value[..info.ValueSize]);
        }
        else
        {
            int step = (info.ValueSize + 7) & ~7;
            int cpus = value.Length / Math.Max(step, 1);
            json.Name("values");
            json.StartArray();
            for (int cpu = 0; cpu < cpus; cpu++)
            {
                json.StartObject();
                json.Field("cpu", (long)cpu);
                json.Name("value");
                HexArray(json, value.Slice(cpu * step, info.ValueSize));
                json.EndObject();
            }
            json.EndArray();
        }
        if (btf is not null)
        {
            json.Name("formatted");
            WriteFormatted(json, new BtfValueFormatter(btf, plainText: false), info, key, value);
        }
        json.EndObject();
    }

    public static void HexArray(BpftoolJsonWriter json, ReadOnlySpan<byte> bytes)
    {
        json.StartArray();
        foreach (var b in bytes)
            json.Raw($"\"0x{b:x2}\"");
        json.EndArray();
    }

    /// <summary>bpftool's fprint_hex: bytes separated by a space, two spaces every 8 bytes, a newline every 16.</summary>
    public static string Hex(ReadOnlySpan<byte> data)
    {
        var sb = new StringBuilder(data.Length * 3);
        for (int i = 0; i < data.Length; i++)
        {
            if (i > 0)
                sb.Append(i % 16 == 0 ? "\n" : i % 8 == 0 ? "  " : " ");
            sb.Append(data[i].ToString("x2"));
        }
        return sb.ToString();
    }
}
