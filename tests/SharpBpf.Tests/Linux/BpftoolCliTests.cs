using System.Text.Json;
using System.Text.RegularExpressions;
using SharpBpf.Linux;
using SharpBpf.Objects;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux;

/// <summary>Our prog/map commands against the live bpftool 7.1, on objects this test creates in a private bpffs.</summary>
public sealed class BpftoolCliTests : IDisposable
{
    private readonly PrivateBpfFs _fs = new();
    private readonly string _bpftool;

    public BpftoolCliTests()
    {
        _bpftool = Requirements.Tool("bpftool");
    }

    public void Dispose() => _fs.Dispose();

    private string Pin(string name) => Path.Combine(_fs.Path, name);

    private string Ours(params string[] args) => Ours(true, args);

    private string Ours(bool succeed, params string[] args)
    {
        var (code, stdout, stderr) = SharpBpfCli.Run(args);
        Assert.True((code == 0) == succeed, $"sharpbpf {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout;
    }

    private string Theirs(params string[] args) => Theirs(true, args);

    private string Theirs(bool succeed, params string[] args)
    {
        var (code, stdout, stderr) = TestPrograms.Run(_bpftool, args);
        Assert.True((code == 0) == succeed, $"bpftool {string.Join(' ', args)} exited {code}: {stderr}");
        return stdout;
    }

    /// <summary>Same output in all three formats (bpftool takes -j/-p before the command, we take them anywhere).</summary>
    private void AssertSameEverywhere(params string[] command) => AssertSameEverywhere(true, command);

    private void AssertSameEverywhere(bool succeed, params string[] command)
    {
        Assert.Equal(Theirs(succeed, command), Ours(succeed, command));
        Assert.Equal(Theirs(succeed, ["-j", .. command]), Ours(succeed, [.. command, "-j"]));
        Assert.Equal(Theirs(succeed, ["-p", .. command]), Ours(succeed, [.. command, "-p"]));
    }

    [SkippableFact]
    public void MapCommandsMatchBpftool()
    {
        var hash = Pin("hash");
        Ours("map", "create", hash, "type", "hash", "key", "4", "value", "8", "entries", "16", "name", "sb_cli_hash");
        Ours("map", "update", "pinned", hash, "key", "1", "0", "0", "0", "value", "hex", "2a", "00", "00", "00", "00", "00", "00", "00");
        Theirs("map", "update", "pinned", hash, "key", "2", "0", "0", "0", "value", "0xff", "0xff", "0", "0", "0", "0", "0", "0");
        Ours("map", "update", "pinned", hash, "key", "3", "0", "0", "0", "value", "3", "0", "0", "0", "0", "0", "0", "0", "noexist");
        Ours("map", "delete", "pinned", hash, "key", "3", "0", "0", "0");

        var percpu = Pin("percpu");
        Theirs("map", "create", percpu, "type", "percpu_array", "key", "4", "value", "12", "entries", "3", "name", "sb_cli_pcpu");
        Ours("map", "update", "pinned", percpu, "key", "1", "0", "0", "0", "value", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12");

        var wide = Pin("wide");
        Ours("map", "create", wide, "type", "array", "key", "4", "value", "40", "entries", "2", "name", "sb_cli_wide");

        foreach (var path in new[] { hash, percpu, wide })
        {
            AssertSameEverywhere("map", "show", "pinned", path);
            AssertSameEverywhere("map", "dump", "pinned", path);
            AssertSameEverywhere("map", "lookup", "pinned", path, "key", "1", "0", "0", "0");
        }
        AssertSameEverywhere(false, "map", "lookup", "pinned", hash, "key", "9", "0", "0", "0");

        var frozen = Pin("frozen");
        using (var map = KernelMap.Create("sb_cli_frozen", BpfMapType.Array, 4, 4, 1))
        {
            map.Freeze();
            map.Pin(frozen);
        }
        AssertSameEverywhere("map", "show", "pinned", frozen);
        string id;
        using (var opened = KernelMap.OpenPinned(hash))
            id = opened.Id.ToString();
        AssertSameEverywhere("map", "show", "id", id);
    }

    [SkippableFact]
    public void BtfFormattedDumpsMatchBpftool()
    {
        using var collection = new KernelEngine().Load(ObjectSpec.Load(TestPrograms.Compile("kernel_btf_values.c")));
        var rich = "ff ff ff ff 02 01 fe 41 42 43 00 00 00 00 00 00 02 00 00 00 01 07 08 09 f3 00 00 00 01 02 03 04 fe ff ff ff ff ff ff ff 2a 00 00 00 00 00 00 00";
        collection.Maps["riches"].Update(BitConverter.GetBytes(1), Convert.FromHexString(rich.Replace(" ", "")));
        var perCpu = collection.Maps["per_cpu"];
        var value = new byte[perCpu.UserValueSize];
        for (int cpu = 0; cpu < PossibleCpus.Count; cpu++)
            BitConverter.GetBytes(-2 - cpu).CopyTo(value, cpu * 8);
        perCpu.Update(BitConverter.GetBytes(5L), value);
        foreach (var (name, map) in collection.Maps)
        {
            var path = Pin(KernelCollection.PinName(name));
            map.Pin(path);
            AssertSameEverywhere("map", "dump", "pinned", path);
            if (map.KeySize == 4)
                AssertSameEverywhere("map", "lookup", "pinned", path, "key", "0", "0", "0", "0");
        }
    }

    [SkippableFact]
    public void MapListNeverRepeatsAPreviousMapsBtfId()
    {
        // bpftool 7.1's listing shows a stale btf_id for maps without BTF; every entry of ours must equal `map show id N`.
        using var collection = new KernelEngine().Load(ObjectSpec.Load(TestPrograms.Compile("kernel_counter.c")));
        using var plain = KernelMap.Create("sb_cli_nobtf", BpfMapType.Hash, 4, 4, 4);
        var list = JsonDocument.Parse(Ours("map", "list", "-j")).RootElement.EnumerateArray().ToList();
        var mine = list.Single(e => e.GetProperty("id").GetUInt32() == plain.Id);
        Assert.False(mine.TryGetProperty("btf_id", out _));
        var withBtf = list.Single(e => e.GetProperty("id").GetUInt32() == collection.Maps["hits"].Id);
        Assert.Equal(collection.Btf!.Id, withBtf.GetProperty("btf_id").GetUInt32());
    }

    [SkippableFact]
    public void ProgShowMatchesBpftool()
    {
        var path = TestPrograms.Compile("kernel_counter.c");
        var dir = Pin("progs");
        Ours("prog", "loadall", path, dir, "pinmaps", Pin("maps"));
        var pinned = Path.Combine(dir, "count_packets");
        Assert.Equal(Redact(Theirs("prog", "show", "pinned", pinned)), Redact(Ours("prog", "show", "pinned", pinned)));
        AssertJsonEqual(Theirs("-j", "prog", "show", "pinned", pinned), Ours("prog", "show", "pinned", pinned, "-j"));
        AssertJsonEqual(Theirs("-p", "prog", "show", "pinned", pinned), Ours("prog", "show", "pinned", pinned, "-p"));
        string id;
        using (var opened = KernelProgram.OpenPinned(pinned))
            id = opened.Id.ToString();
        AssertJsonEqual(Theirs("-p", "prog", "show", "id", id), Ours("prog", "show", "id", id, "-p"));

        var all = JsonDocument.Parse(Ours("prog", "list", "-j")).RootElement;
        Assert.Contains(all.EnumerateArray(), e => e.GetProperty("id").GetUInt32().ToString() == id && e.GetProperty("name").GetString() == "count_packets");
        var withPins = Ours("prog", "show", "pinned", pinned, "-f");
        Assert.Contains($"\tpinned {pinned}\n", withPins);

        // Names longer than the kernel's 15 characters come back whole from BTF, as bpftool shows them.
        var longName = Path.Combine(dir, "a_program_with_a_long_name");
        Assert.Equal(Redact(Theirs("prog", "show", "pinned", longName)), Redact(Ours("prog", "show", "pinned", longName)));
        Assert.Contains("name a_program_with_a_long_name ", Ours("prog", "show", "pinned", longName));
    }

    [SkippableTheory]
    [InlineData("kernel_counter.c")]
    [InlineData("obj_global_data.c")]
    public void XlatedDumpMatchesBpftool(string file)
    {
        var dir = Pin("xlated");
        Theirs("prog", "loadall", TestPrograms.Compile(file), dir);
        foreach (var pinned in Directory.GetFiles(dir))
            foreach (var extra in new[] { Array.Empty<string>(), ["opcodes"], ["linum"] })
                AssertSameEverywhere(["prog", "dump", "xlated", "pinned", pinned, .. extra]);
    }

    [SkippableFact]
    public void ProgRunMatchesBpftoolShapes()
    {
        var dir = Pin("run");
        Theirs("prog", "loadall", TestPrograms.Compile("xdp_pass.c"), dir);
        var pinned = Path.Combine(dir, "xdp_pass");
        var packet = Path.Combine(_fs.Path, "..", $"sb-packet-{Environment.ProcessId}.bin");
        File.WriteAllBytes(packet, Enumerable.Range(0x20, 37).Select(i => (byte)i).ToArray());
        try
        {
            var theirs = Theirs("prog", "run", "pinned", pinned, "data_in", packet, "data_out", "-");
            var ours = Ours("prog", "run", "pinned", pinned, "--data-in", packet, "--data-out", "-");
            Assert.Equal(Regex.Replace(theirs, @"\d+ns", "Nns"), Regex.Replace(ours, @"\d+ns", "Nns"));
            var json = JsonDocument.Parse(Ours("prog", "run", "pinned", pinned, "--data-in", packet, "--repeat", "100", "-j")).RootElement;
            Assert.Equal(["retval", "duration"], json.EnumerateObject().Select(p => p.Name));
            Assert.Equal(2u, json.GetProperty("retval").GetUInt32());
            Assert.Contains("duration (average):", Ours("prog", "run", "pinned", pinned, "--data-in", packet, "--repeat", "10"));

            var obj = TestPrograms.Compile("kernel_counter.c");
            // An object's run prints the runs/maps document (the same for both engines; see Agreement/).
            var run = JsonDocument.Parse(Ours("prog", "run", obj, "--program", "count_packets", "--data-in", packet, "--engine", "kernel", "-p")).RootElement;
            Assert.Equal(["runs", "maps"], run.EnumerateObject().Select(p => p.Name));
            Assert.Equal(37 * 2, run.GetProperty("runs")[0].GetProperty("data_out").GetString()!.Length);
        }
        finally
        {
            File.Delete(packet);
        }
    }

    [SkippableFact]
    public void BtfShowMatchesBpftool()
    {
        using var collection = new KernelEngine().Load(ObjectSpec.Load(TestPrograms.Compile("kernel_counter.c")));
        var id = collection.Btf!.Id.ToString();
        var theirs = JsonDocument.Parse(Theirs("-j", "btf", "show", "id", id)).RootElement;
        var ours = JsonDocument.Parse(Ours("btf", "show", "id", id, "-j")).RootElement;
        Assert.Equal(theirs.EnumerateObject().Select(p => p.Name), ours.EnumerateObject().Select(p => p.Name));
        Assert.Equal(theirs.GetProperty("size").GetInt32(), ours.GetProperty("size").GetInt32());
        foreach (var key in new[] { "prog_ids", "map_ids" })
            Assert.Equal(theirs.GetProperty(key).EnumerateArray().Select(e => e.GetUInt32()).Order(), ours.GetProperty(key).EnumerateArray().Select(e => e.GetUInt32()).Order());
        Assert.Equal(collection.Programs.Count, ours.GetProperty("prog_ids").GetArrayLength());
        var line = Ours("btf", "list").Split('\n').Single(l => l.StartsWith(id + ": ", StringComparison.Ordinal));
        Assert.Matches($@"^{id}: name <anon>  size \d+B  prog_ids \d+(,\d+)+  map_ids \d+(,\d+)+$", line);
        Assert.StartsWith("1: name [vmlinux]  size ", Ours("btf", "list"));
    }

    [SkippableFact]
    public void TraceOptionDecodesEveryCallOnStderr()
    {
        using var map = KernelMap.Create("sb_cli_traced", BpfMapType.Array, 4, 4, 1);
        var (code, stdout, stderr) = SharpBpfCli.Run("map", "show", "id", map.Id.ToString(), "--trace");
        Assert.Equal(0, code);
        Assert.StartsWith($"{map.Id}: array  name sb_cli_traced", stdout);
        Assert.Contains($"bpf(BPF_MAP_GET_FD_BY_ID, {{map_id={map.Id}, next_id=0, open_flags=0}}, 12) = ", stderr);
        Assert.Matches(@"bpf\(BPF_OBJ_GET_INFO_BY_FD, \{info=\{bpf_fd=\d+, info_len=88, info=0x[0-9a-f]+\}\}, 16\) = 0", stderr);
    }

    [SkippableFact]
    public void ErrorsAreOneLine()
    {
        var (code, stdout, stderr) = SharpBpfCli.Run("map", "show", "pinned", Pin("missing"));
        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("sharpbpf: ", stderr);
        Assert.Contains("ENOENT", stderr);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    private static string Redact(string text) => Regex.Replace(text, @"loaded_at \S+", "loaded_at X");

    private static void AssertJsonEqual(string expected, string actual)
    {
        // Same text except loaded_at, which two processes may round to neighbouring seconds.
        var e = Regex.Replace(expected, @"""loaded_at"": ?(\d+)", m => m.Value[..^m.Groups[1].Length] + "0");
        var a = Regex.Replace(actual, @"""loaded_at"": ?(\d+)", m => m.Value[..^m.Groups[1].Length] + "0");
        Assert.Equal(e, a);
        long te = long.Parse(Regex.Match(expected, @"""loaded_at"": ?(\d+)").Groups[1].Value);
        long ta = long.Parse(Regex.Match(actual, @"""loaded_at"": ?(\d+)").Groups[1].Value);
        Assert.InRange(ta, te - 1, te + 1);
    }
}
