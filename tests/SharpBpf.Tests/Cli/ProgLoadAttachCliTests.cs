using System.Text.RegularExpressions;
using SharpBpf.Linux;
using SharpBpf.Tests.Linux.Attach;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Cli;

/// <summary>`sharpbpf prog load|attach|detach|profile` and `iter pin` against bpftool 7.1 on the same objects.</summary>
public partial class ProgLoadAttachCliTests
{
    [GeneratedRegex(@"^\d+:|loaded_at \S+|map_ids \S+|btf_id \d+|memlock \d+B", RegexOptions.Multiline)]
    private static partial Regex Varying();

    private static string Id(uint id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static (int ExitCode, string Stdout, string Stderr) Tool(string tool, string bpftool, params string[] args) =>
        tool == "bpftool" ? TestPrograms.Run(bpftool, args) : SharpBpfCli.Run(args);

    [SkippableFact]
    public void ProgLoadPinsTheFirstProgramAndReusesAMapAsBpftoolDoes()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        var obj = TestPrograms.Compile("xdp_counters.c");
        var root = Path.Combine(BpfFs.DefaultPath, $"sharpbpf-test-progload-{Environment.ProcessId}");
        BpfFs.CreatePinDirectory(root);
        try
        {
            using var existing = KernelMap.Create("i16_reused", BpfMapType.Hash, 4, 16, 64);
            var existingPin = Path.Combine(root, "existing");
            existing.Pin(existingPin);
            var shown = new Dictionary<string, string>();
            foreach (var tool in new[] { "bpftool", "sharpbpf" })
            {
                var dir = Path.Combine(root, tool);
                BpfFs.CreatePinDirectory(dir);
                var load = Tool(tool, bpftool, "-j", "prog", "load", obj, Path.Combine(dir, "prog"), "map", "name", "by_source", "pinned", existingPin,
                    "pinmaps", Path.Combine(dir, "maps"));
                Assert.True(load.ExitCode == 0, load.Stderr);
                Assert.Equal("null\n", load.Stdout);
                var show = TestPrograms.Run(bpftool, ["prog", "show", "pinned", Path.Combine(dir, "prog")]);
                Assert.True(show.ExitCode == 0, show.Stderr);
                // The object's by_source is the existing map (pinned under its own name, as libbpf renames a reused map),
                // by_protocol a new one.
                Assert.Matches($@"map_ids (\d+,)?{existing.Id}\b", show.Stdout);
                Assert.Equal(["by_protocol", "i16_reused"], Directory.GetFileSystemEntries(Path.Combine(dir, "maps")).Select(Path.GetFileName).Order());
                using var pinnedSource = KernelMap.OpenPinned(Path.Combine(dir, "maps", "i16_reused"));
                Assert.Equal(existing.Id, pinnedSource.Id);
                shown[tool] = Varying().Replace(show.Stdout, "*");

                var byIndex = Tool(tool, bpftool, "prog", "load", obj, Path.Combine(dir, "by_index"), "map", "idx", "0", "pinned", existingPin, "type", "xdp");
                Assert.True(byIndex.ExitCode == 0, byIndex.Stderr);
                Assert.Matches($@"map_ids (\d+,)?{existing.Id}\b", TestPrograms.Run(bpftool, ["prog", "show", "pinned", Path.Combine(dir, "by_index")]).Stdout);
            }
            Assert.Equal(shown["bpftool"], shown["sharpbpf"]);

            // Failures: with -j an {"error": ...} object on stdout, as bpftool prints one.
            foreach (var tool in new[] { "bpftool", "sharpbpf" })
            {
                var missing = Tool(tool, bpftool, "-j", "prog", "load", obj + ".missing", Path.Combine(root, "none"));
                Assert.NotEqual(0, missing.ExitCode);
                Assert.Matches("^\\{\"error\":\".+\"\\}\n$", missing.Stdout);
                var pretty = Tool(tool, bpftool, "-p", "prog", "show", "id", "4294967295");
                Assert.Matches("^\\{\n    \"error\": \".+\"\n\\}\n$", pretty.Stdout);
            }
            var plain = SharpBpfCli.Run("prog", "load", obj, Path.Combine(root, "none"), "map", "idx", "9", "pinned", existingPin);
            Assert.Equal((1, "", "sharpbpf: prog load: map index 9 is out of range (the object has 2 maps)\n"), plain);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [SkippableFact]
    public void ProgAttachAndDetachOnASockmapAgreeWithBpftool()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        using var obj = new LoadedObject("hook_sockmap.c");
        var map = Id(obj.Map("sock_map").Id);
        foreach (var (program, type) in new[] { ("stream_verdict", "sk_skb_stream_verdict"), ("stream_parser", "sk_skb_stream_parser"), ("msg_verdict", "sk_msg_verdict") })
        {
            var prog = Id(obj.Program(program).Info().Id);
            // Attached by sharpbpf: bpftool detaches it once (the kernel refuses to detach a program that is not attached).
            Assert.Equal((0, ""), Quiet(SharpBpfCli.Run("prog", "attach", "id", prog, type, "id", map)));
            Assert.Equal(0, TestPrograms.Run(bpftool, ["prog", "detach", "id", prog, type, "id", map]).ExitCode);
            Assert.NotEqual(0, TestPrograms.Run(bpftool, ["prog", "detach", "id", prog, type, "id", map]).ExitCode);
            // Attached by bpftool: sharpbpf detaches it, then says in one line why it cannot again.
            Assert.Equal(0, TestPrograms.Run(bpftool, ["prog", "attach", "id", prog, type, "id", map]).ExitCode);
            Assert.Equal((0, "null\n"), Quiet(SharpBpfCli.Run("prog", "-j", "detach", "id", prog, type, "id", map)));
            var again = SharpBpfCli.Run("prog", "detach", "id", prog, type, "id", map);
            Assert.Equal(1, again.ExitCode);
            Assert.Matches("^sharpbpf: .*BPF_PROG_DETACH.*\n$", again.Stderr);
        }
        var bad = SharpBpfCli.Run("prog", "attach", "id", Id(obj.Program("stream_verdict").Info().Id), "sk_skb_bogus", "id", map);
        Assert.Equal((1, "sharpbpf: prog attach: invalid attach type 'sk_skb_bogus' (expected sk_msg_verdict, sk_skb_verdict, sk_skb_stream_verdict, sk_skb_stream_parser, flow_dissector)\n"),
            (bad.ExitCode, bad.Stderr));
    }

    private static (int, string) Quiet((int ExitCode, string Stdout, string Stderr) r) => r.ExitCode == 0 ? (0, r.Stdout) : (r.ExitCode, r.Stderr);

    [SkippableFact]
    public void FlowDissectorAttachesToTheCallersNetworkNamespace()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        Requirements.Tool("ip");
        using var obj = new LoadedObject("hook_sockmap.c");
        var prog = Id(obj.Program("dissect").Info().Id);
        var ns = $"sharpbpf-test-fd-{Environment.ProcessId}";
        Assert.Equal(0, TestPrograms.Run("ip", ["netns", "add", ns]).ExitCode);
        try
        {
            (int, string, string) InNs(params string[] args) => TestPrograms.Run("ip", ["netns", "exec", ns, .. args]);
            Assert.Equal(0, InNs("dotnet", SharpBpfCli.DllPath, "prog", "attach", "id", prog, "flow_dissector").Item1);
            var expected = InNs(bpftool, "net", "show");
            Assert.Contains($"flow_dissector:\nid {prog}\n", expected.Item2);
            Assert.Equal(expected.Item2, InNs("dotnet", SharpBpfCli.DllPath, "net", "show").Item2);
            Assert.Equal(0, InNs(bpftool, "prog", "detach", "id", prog, "flow_dissector").Item1);
            Assert.Equal(0, InNs(bpftool, "prog", "attach", "id", prog, "flow_dissector").Item1);
            Assert.Equal(0, InNs("dotnet", SharpBpfCli.DllPath, "prog", "detach", "id", prog, "flow_dissector").Item1);
            Assert.DoesNotContain($"id {prog}", InNs(bpftool, "net", "show").Item2);
        }
        finally
        {
            TestPrograms.Run("ip", ["netns", "delete", ns]);
        }
    }

    [SkippableFact]
    public void TracingProgramsTheKernelRefusesAreOneLineErrors()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        using var obj = new LoadedObject("hook_sockmap.c");
        var prog = Id(obj.Program("stream_verdict").Info().Id);
        var root = Path.Combine(BpfFs.DefaultPath, $"sharpbpf-test-iter-{Environment.ProcessId}");
        BpfFs.CreatePinDirectory(root);
        try
        {
            // iter pin: where this kernel refuses tracing programs, both tools fail to load it; sharpbpf says why in one line.
            using var elems = KernelMap.Create("i16_iter", BpfMapType.Array, 4, 8, 2);
            var iterObj = TestPrograms.Compile("iter_map_elems.c");
            var ours = SharpBpfCli.Run("iter", "pin", iterObj, Path.Combine(root, "ours"), "map", "id", Id(elems.Id));
            var theirs = TestPrograms.Run(bpftool, ["iter", "pin", iterObj, Path.Combine(root, "theirs"), "map", "id", Id(elems.Id)]);
            Assert.Equal(theirs.ExitCode == 0, ours.ExitCode == 0);
            if (ours.ExitCode == 0)
            {
                elems.Update(BitConverter.GetBytes(1), BitConverter.GetBytes(42UL));
                Assert.Equal("0 0\n1 42\n", File.ReadAllText(Path.Combine(root, "ours")));
                Assert.Equal(File.ReadAllText(Path.Combine(root, "theirs")), File.ReadAllText(Path.Combine(root, "ours")));
            }
            else
                Assert.Matches("^sharpbpf: program 'dump_elems': bpf\\(BPF_PROG_LOAD\\) failed: .*\n$", ours.Stderr);
            var notIter = SharpBpfCli.Run("iter", "pin", TestPrograms.Compile("hook_sockmap.c"), Path.Combine(root, "x"));
            Assert.Equal((1, "sharpbpf: " + TestPrograms.Compile("hook_sockmap.c") + ": program 'stream_parser' is not an iterator (its section is 'sk_skb/stream_parser', not iter/...)\n"),
                (notIter.ExitCode, notIter.Stderr));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }

        // prog profile: the fentry program it needs is refused here (EPERM), or the metrics are not counted yet; one line either way.
        var profile = SharpBpfCli.Run("prog", "profile", "id", prog, "duration", "1", "cycles");
        Assert.Equal(1, profile.ExitCode);
        Assert.Matches("^sharpbpf: prog profile: .+\n$", profile.Stderr);
        var json = SharpBpfCli.Run("prog", "-j", "profile", "id", prog, "cycles");
        Assert.StartsWith("{\"error\":\"prog profile: ", json.Stdout, StringComparison.Ordinal);
        Assert.Equal("sharpbpf: prog profile: unknown metric 'watts' (expected cycles, instructions, l1d_loads, llc_misses, itlb_misses, dtlb_misses)\n",
            SharpBpfCli.Run("prog", "profile", "id", prog, "watts").Stderr);
    }
}
