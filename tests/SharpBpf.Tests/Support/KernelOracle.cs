using System.Globalization;
using System.Text.Json;

namespace SharpBpf.Tests.Support;

/// <summary>One BPF_PROG_TEST_RUN: the program's return value and the packet it left behind.</summary>
public sealed record OracleRun(long ReturnValue, byte[] DataOut);

/// <summary>
/// One map entry as the kernel holds it: raw key bytes and either one value (<see cref="Value"/>) or, for
/// per-CPU maps, one value per possible CPU (<see cref="PerCpuValues"/>, each value_size bytes).
/// Queue and stack maps have no keys: their entries are popped in the kernel's order with an empty key.
/// </summary>
public sealed record OracleMapEntry(byte[] Key, byte[]? Value, IReadOnlyList<byte[]>? PerCpuValues);

/// <summary>
/// A map's final contents. <see cref="Name"/> is the kernel's (libbpf-style, e.g. "global_d.data"),
/// <see cref="PinName"/> the bpffs file name libbpf chose ("global_d_data"). <see cref="Type"/> is bpftool's
/// spelling ("hash", "percpu_array", "lpm_trie"...). Ring buffers cannot be dumped: <see cref="Dumpable"/> is false.
/// Program-array values are kernel program ids, meaningful only inside one run.
/// </summary>
public sealed record OracleMap(string Name, string PinName, string Type, int KeySize, int ValueSize, int MaxEntries,
    bool Dumpable, IReadOnlyList<OracleMapEntry> Entries)
{
    /// <summary>Entries ordered by key bytes, for comparing maps whose iteration order is the kernel's business.</summary>
    public IEnumerable<OracleMapEntry> ByKey() =>
        Entries.OrderBy(e => Convert.ToHexString(e.Key), StringComparer.Ordinal);
}

/// <summary>What the kernel did with a program: one run per input packet, then every map.</summary>
public sealed record OracleResult(IReadOnlyList<OracleRun> Runs, IReadOnlyList<OracleMap> Maps)
{
    public OracleMap Map(string name) =>
        Maps.SingleOrDefault(m => m.Name == name || m.PinName == name)
        ?? throw new KeyNotFoundException($"no map {name}; the object has {string.Join(", ", Maps.Select(m => m.Name))}");
}

/// <summary>A value to put into a map (matched by kernel or pin name) after loading, before the first run.</summary>
public sealed record MapSeed(string Map, byte[] Key, byte[] Value);

/// <summary>
/// The kernel's answers for a test program, obtained with bpftool alone so the VM can be compared with the
/// kernel independently of SharpBpf's own loader: loads the object into a private bpffs mount, seeds maps,
/// runs each packet once with BPF_PROG_TEST_RUN and dumps every map as raw bytes. Everything it creates
/// (mount, pins and therefore the programs and maps) is gone when it returns.
/// Needs root and bpftool: call <see cref="Requirements.Kernel"/> and <see cref="Requirements.Tool"/> first.
/// </summary>
public static class KernelOracle
{
    private const int DataSizeOut = 65536;

    /// <param name="objectPath">A compiled BPF object (e.g. from <see cref="TestPrograms.Compile"/>).</param>
    /// <param name="program">The program (function) name to run.</param>
    /// <param name="packets">Each is one run's data_in.</param>
    public static OracleResult Run(string objectPath, string program, IEnumerable<byte[]> packets, IEnumerable<MapSeed>? seeds = null)
    {
        var bpftool = Requirements.Tool("bpftool");
        // libbpf rewrites '.' in pin paths to '_', so the directory name must not contain any.
        var root = Path.Combine(Path.GetTempPath(), $"sharpbpf-oracle-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        var mounted = false;
        try
        {
            Check(TestPrograms.Run("mount", ["-t", "bpf", "bpf", root]), "mount -t bpf");
            mounted = true;
            var progs = Path.Combine(root, "progs");
            var maps = Path.Combine(root, "maps");
            Directory.CreateDirectory(maps);
            Check(TestPrograms.Run(bpftool, ["prog", "loadall", objectPath, progs, "pinmaps", maps]), $"bpftool prog loadall {objectPath}");

            var infos = Directory.EnumerateFiles(maps).Order(StringComparer.Ordinal).Select(pin => Show(bpftool, pin)).ToList();
            foreach (var seed in seeds ?? [])
            {
                var map = infos.SingleOrDefault(m => m.Name == seed.Map || m.PinName == seed.Map)
                    ?? throw new InvalidOperationException($"seed for unknown map {seed.Map}");
                Check(TestPrograms.Run(bpftool, ["map", "update", "pinned", map.Pin, "key", "hex", .. Hex(seed.Key), "value", "hex", .. Hex(seed.Value)]),
                    $"bpftool map update {seed.Map}");
            }

            var progPin = Path.Combine(progs, program);
            if (!File.Exists(progPin))
                throw new InvalidOperationException($"no program {program} in {objectPath}; it has {string.Join(", ", Directory.EnumerateFiles(progs).Select(Path.GetFileName))}");
            var dataIn = Path.Combine(Path.GetTempPath(), $"sharpbpf-oracle-{Guid.NewGuid():N}.in");
            var dataOut = dataIn[..^3] + ".out";
            var runs = new List<OracleRun>();
            try
            {
                foreach (var packet in packets)
                {
                    File.WriteAllBytes(dataIn, packet);
                    File.Delete(dataOut);
                    var output = Check(TestPrograms.Run(bpftool, ["-j", "prog", "run", "pinned", progPin, "data_in", dataIn,
                        "data_out", dataOut, "data_size_out", DataSizeOut.ToString(CultureInfo.InvariantCulture), "repeat", "1"]), $"bpftool prog run {program}");
                    using var json = JsonDocument.Parse(output);
                    var retval = json.RootElement.GetProperty("retval").GetInt64();
                    runs.Add(new OracleRun(retval, File.Exists(dataOut) ? File.ReadAllBytes(dataOut) : []));
                }
            }
            finally
            {
                File.Delete(dataIn);
                File.Delete(dataOut);
            }
            return new OracleResult(runs, infos.Select(m => Dump(bpftool, m)).ToList());
        }
        finally
        {
            if (mounted)
                TestPrograms.Run("umount", [root]);
            Directory.Delete(root, recursive: true);
        }
    }

    private sealed record MapInfo(string Pin, string PinName, string Name, string Type, int KeySize, int ValueSize, int MaxEntries);

    private static MapInfo Show(string bpftool, string pin)
    {
        using var json = JsonDocument.Parse(Check(TestPrograms.Run(bpftool, ["-j", "map", "show", "pinned", pin]), "bpftool map show"));
        var m = json.RootElement;
        return new MapInfo(pin, Path.GetFileName(pin), m.GetProperty("name").GetString()!, m.GetProperty("type").GetString()!,
            m.GetProperty("bytes_key").GetInt32(), m.GetProperty("bytes_value").GetInt32(), m.GetProperty("max_entries").GetInt32());
    }

    private static OracleMap Dump(string bpftool, MapInfo m)
    {
        var entries = new List<OracleMapEntry>();
        var dumpable = true;
        switch (m.Type)
        {
            case "queue" or "stack":
                // No keys to walk: pop until empty (bpftool then fails and prints null).
                for (var i = 0; i <= m.MaxEntries; i++)
                {
                    var (code, stdout, _) = TestPrograms.Run(bpftool, ["-j", "map", "pop", "pinned", m.Pin]);
                    if (code != 0)
                        break;
                    using var popped = JsonDocument.Parse(stdout);
                    entries.Add(new OracleMapEntry([], Bytes(popped.RootElement.GetProperty("value")), null));
                }
                break;
            case "ringbuf" or "user_ringbuf" or "perf_event_array":
                dumpable = false;
                break;
            default:
                // bpftool 7.1 prints a BTF float in "formatted" as the bare token (unsupported-kind: not JSON. The oracle
                // reads only the raw key/value bytes, so that token may become null.
                var dumped = Check(TestPrograms.Run(bpftool, ["-j", "map", "dump", "pinned", m.Pin]), $"bpftool map dump {m.Name}")
                    .Replace("(unsupported-kind", "null", StringComparison.Ordinal);
                using (var dump = JsonDocument.Parse(dumped))
                {
                    // With BTF each entry also has "formatted": ignored, the hex arrays are the raw bytes.
                    foreach (var e in dump.RootElement.EnumerateArray())
                    {
                        var key = Bytes(e.GetProperty("key"));
                        if (e.TryGetProperty("values", out var perCpu))
                            entries.Add(new OracleMapEntry(key, null, perCpu.EnumerateArray().OrderBy(v => v.GetProperty("cpu").GetInt32())
                                .Select(v => Bytes(v.GetProperty("value"))).ToList()));
                        else if (e.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.Array)
                            entries.Add(new OracleMapEntry(key, Bytes(value), null));
                    }
                }
                break;
        }
        return new OracleMap(m.Name, m.PinName, m.Type, m.KeySize, m.ValueSize, m.MaxEntries, dumpable, entries);
    }

    private static byte[] Bytes(JsonElement hexArray) =>
        hexArray.EnumerateArray().Select(h => byte.Parse(h.GetString()!.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();

    private static IEnumerable<string> Hex(byte[] bytes) => bytes.Select(b => b.ToString("x2", CultureInfo.InvariantCulture));

    private static string Check((int ExitCode, string Stdout, string Stderr) result, string what) =>
        result.ExitCode == 0 ? result.Stdout : throw new InvalidOperationException($"{what} failed ({result.ExitCode}):\n{result.Stderr}{result.Stdout}");
}
