using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using SharpBpf.Linux;
using SharpBpf.Linux.Attach;
using SharpBpf.Tests.Linux.Attach;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Cli;

/// <summary>`sharpbpf feature list_builtins`, `perf list`, `map event_pipe` and `net attach|detach` against bpftool 7.1.</summary>
/// <remarks>Alone (no test class in parallel): `perf list` shows what this process holds attached, and so would theirs.</remarks>
[Collection(nameof(SharpBpf.Tests.Linux.FdCounting))]
public partial class BpftoolGrammarCliTests
{
    private static readonly string[][] Formats = [[], ["-j"], ["-p"]];

    [SkippableFact]
    public void ListBuiltinsStartsWithBpftoolsNames()
    {
        var bpftool = Requirements.Tool("bpftool");
        foreach (var group in new[] { "prog_types", "map_types", "attach_types", "link_types", "helpers" })
        {
            var expected = TestPrograms.Run(bpftool, ["feature", "list_builtins", group]).Stdout;
            var actual = SharpBpfCli.Run("feature", "list_builtins", group);
            Assert.True(actual.ExitCode == 0, actual.Stderr);
            // bpftool 7.1 prints libbpf 1.1's tables; ours continue with the types added to the kernel since.
            Assert.NotEqual("", expected);
            Assert.StartsWith(expected, actual.Stdout, StringComparison.Ordinal);
            var names = actual.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var json = SharpBpfCli.Run("feature", "-j", "list_builtins", group).Stdout;
            Assert.Equal("[" + string.Join(",", names.Select(n => $"\"{n}\"")) + "]\n", json);
            var expectedJson = TestPrograms.Run(bpftool, ["-j", "feature", "list_builtins", group]).Stdout;
            Assert.StartsWith(expectedJson.TrimEnd('\n', ']'), json, StringComparison.Ordinal);
        }
        Assert.StartsWith("[\"unspec\",\"raw_tracepoint\",\"tracing\"", SharpBpfCli.Run("feature", "-p", "list_builtins", "link_types").Stdout.Replace("\n", "").Replace(" ", ""), StringComparison.Ordinal);
        var bad = SharpBpfCli.Run("feature", "-j", "list_builtins", "kfuncs");
        Assert.Equal((1, "{\"error\":\"feature list_builtins: unknown group \\'kfuncs\\' (expected prog_types, map_types, attach_types, link_types, helpers)\"}\n"),
            (bad.ExitCode, bad.Stdout));
    }

    /// <summary>With -j/-p a failure is also an {"error": ...} object on stdout, shaped as bpftool's (the words are ours).</summary>
    [SkippableFact]
    public void FailuresAreJsonErrorObjectsWithJsonOutput()
    {
        var bpftool = Requirements.Tool("bpftool");
        string[][] commands = [["btf", "dump", "file", "/nonexistent/btf"], ["map", "show", "pinned", "/nonexistent/map"], ["feature", "list_builtins", "kfuncs"]];
        foreach (var command in commands)
        {
            foreach (var (option, shape) in new[] { ("-j", "^\\{\"error\":\"[^\n]+\"\\}\n$"), ("-p", "^\\{\n    \"error\": \"[^\n]+\"\n\\}\n$") })
            {
                var expected = TestPrograms.Run(bpftool, [option, .. command]);
                Assert.Matches(shape, expected.Stdout);
                var actual = SharpBpfCli.Run([command[0], option, .. command[1..]]);
                Assert.Equal(1, actual.ExitCode);
                Assert.Matches(shape, actual.Stdout);
                Assert.StartsWith("sharpbpf: ", actual.Stderr, StringComparison.Ordinal);
            }
        }
    }

    [SkippableFact]
    public void PerfListShowsThisProcesssTracepointsAsBpftoolDoes()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        using var tp = new LoadedObject("hook_tracepoint_getpid.c");
        using var raw = new LoadedObject("hook_raw_tp.c");
        using var up = new LoadedObject("hook_uprobe.c");
        using var tracepoint = Tracepoint.Attach(tp.Program("count_getpid").Fd, "syscalls", "sys_enter_getpid");
        using var rawTracepoint = RawTracepoint.Attach(raw.Program("count_sys_enter").Fd, "sys_enter");
        var uprobeProgram = up.Spec.Programs[0].Name;
        using var uprobe = Uprobe.Attach(up.Program(uprobeProgram).Fd, "libc.so.6", "getpid");
        var pid = Environment.ProcessId;
        foreach (var format in Formats)
        {
            var expected = Ours(TestPrograms.Run(bpftool, [.. format, "perf", "list"]).Stdout, format, pid);
            var run = SharpBpfCli.Run(["perf", "list", .. format]);
            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.Equal(expected, Ours(run.Stdout, format, pid));
            Assert.Equal(3, expected.Count);
        }
        var plain = Ours(SharpBpfCli.Run("perf", "show").Stdout, [], pid);
        Assert.Contains(plain, l => l.EndsWith($"prog_id {tp.Program("count_getpid").Info().Id}  tracepoint  sys_enter_getpid", StringComparison.Ordinal));
        Assert.Contains(plain, l => l.EndsWith("raw_tracepoint  sys_enter", StringComparison.Ordinal));
        Assert.Contains(plain, l => l.Contains("  uprobe  filename ", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"\{\s*""pid"": ?(\d+),[^}]*\}")]
    private static partial Regex JsonEntry();

    /// <summary>The entries of this process (other tenants' come and go between the two runs).</summary>
    private static List<string> Ours(string output, string[] format, int pid) => format.Length == 0
        ? output.Split('\n').Where(l => l.StartsWith($"pid {pid}  ", StringComparison.Ordinal)).ToList()
        : JsonEntry().Matches(output).Where(m => m.Groups[1].Value == pid.ToString(System.Globalization.CultureInfo.InvariantCulture)).Select(m => m.Value).ToList();

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [GeneratedRegex(@"@\d+\.\d{9} CPU: \d+ index: \d+|""cpu"": ?\d+,|""index"": ?\d+,|""timestamp"": ?\d+,")]
    private static partial Regex EventVarying();

    [SkippableFact]
    public void EventPipePrintsPerfRecordsAsBpftoolDoes()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        using var obj = new LoadedObject("hook_perf_output.c");
        using var link = Tracepoint.Attach(obj.Program("perf_getpid").Fd, "syscalls/sys_enter_getpid");
        var map = obj.Map("events").Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var format in Formats)
        {
            var expected = RunUntilInterrupted(bpftool, [.. format, "map", "event_pipe", "id", map], obj);
            var actual = RunUntilInterrupted("dotnet", [SharpBpfCli.DllPath, "map", .. format, "event_pipe", "id", map], obj);
            Assert.Equal(3, Regex.Matches(actual, format.Length == 0 ? "^== @" : "\"type\"", RegexOptions.Multiline).Count);
            Assert.Equal(EventVarying().Replace(expected, "*"), EventVarying().Replace(actual, "*"));
        }
    }

    [SkippableFact]
    public void EventPipeOfOneCpuAtAnIndexPrintsWhatBpftoolPrints()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        using var obj = new LoadedObject("hook_perf_output.c");
        using var link = Tracepoint.Attach(obj.Program("perf_getpid").Fd, "syscalls/sys_enter_getpid");
        var map = obj.Map("events").Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var cpu = Cpus.Online()[^1].ToString(System.Globalization.CultureInfo.InvariantCulture); // BPF_F_CURRENT_CPU: index = CPU
        string[] selection = ["cpu", cpu, "index", cpu];
        var expected = RunUntilInterrupted(bpftool, ["map", "event_pipe", "id", map, .. selection], obj, int.Parse(cpu));
        var actual = RunUntilInterrupted("dotnet", [SharpBpfCli.DllPath, "map", "event_pipe", "id", map, .. selection], obj, int.Parse(cpu));
        Assert.Equal(3, Regex.Matches(actual, $"^== @\\d+\\.\\d+ CPU: {cpu} index: {cpu} =", RegexOptions.Multiline).Count);
        Assert.Equal(EventVarying().Replace(expected, "*"), EventVarying().Replace(actual, "*"));
    }

    /// <summary>Starts the reader, waits until it has its perf event descriptors, has three records sent (from
    /// <paramref name="senderCpu"/> when given), then interrupts it.</summary>
    private static string RunUntilInterrupted(string file, string[] args, LoadedObject obj, int? senderCpu = null)
    {
        obj.WriteU64("counts", 0, 0);
        // SIGINT back to its default: a test run started in the background of a non-interactive shell ignores it, and
        // children inherit that (bpftool, and .NET's Ctrl-C handling, would then never see the interrupt).
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add(file);
        args.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var deadline = Environment.TickCount64 + 60_000;
        while (!HasPerfEvent(process.Id) && !process.HasExited && Environment.TickCount64 < deadline)
            Thread.Sleep(50);
        Thread.Sleep(500);  // the descriptors are placed in the map right after they open
        var sender = new Thread(() =>
        {
            using var pinned = senderCpu is { } cpu ? CpuAffinity.TryPin(cpu) ?? throw new InvalidOperationException($"cannot run on CPU {cpu}") : null;
            obj.WriteU64("config", 0, (ulong)TracingHookTests.gettid());
            TracingHookTests.CallGetpid(3);
            obj.WriteU64("config", 0, 0);
        });
        sender.Start();
        sender.Join();
        Thread.Sleep(1000);
        kill(process.Id, 2);  // SIGINT, as Ctrl-C
        Assert.True(process.WaitForExit(30_000), "the reader did not stop on SIGINT");
        Assert.True(stderr.Result.Length == 0 || process.ExitCode == 0, stderr.Result);
        return stdout.Result;
    }

    private static bool HasPerfEvent(int pid)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd")
                .Any(fd => new FileInfo(fd).LinkTarget is "anon_inode:[perf_event]");
        }
        catch (IOException)
        {
            return false;
        }
    }

    [SkippableFact]
    public void NetAttachAndDetachXdpAndTcxOnAVeth()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        using var xdp = new LoadedObject("hook_xdp_drop_udp.c");
        using var tc = new LoadedObject("hook_tc_drop_udp.c");
        using var net = new NetnsPair();
        var xdpId = xdp.Program("xdp_drop_udp").Info().Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var tcId = tc.Program("tc_drop_udp").Info().Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        (int ExitCode, string Stdout, string Stderr) InB(string tool, params string[] args) =>
            tool == "bpftool" ? TestPrograms.Run("ip", ["netns", "exec", net.B, bpftool, .. args])
                : TestPrograms.Run("ip", ["netns", "exec", net.B, "dotnet", SharpBpfCli.DllPath, .. args]);

        foreach (var type in new[] { "xdp", "xdpgeneric", "xdpdrv" })
        {
            var listings = new Dictionary<string, string>();
            foreach (var (attacher, detacher) in new[] { ("sharpbpf", "bpftool"), ("bpftool", "sharpbpf") })
            {
                var attached = InB(attacher, "-j", "net", "attach", type, "id", xdpId, "dev", net.VethB);
                Assert.True(attached.ExitCode == 0, attached.Stderr);
                Assert.Equal("null\n", attached.Stdout);
                // It stays after the tool has exited, and drops what the program drops.
                Assert.False(net.UdpReaches(7777, timeoutMs: 300));
                // A second attach without overwrite is refused by both; with overwrite it replaces.
                Assert.NotEqual(0, InB("sharpbpf", "net", "attach", type, "id", xdpId, "dev", net.VethB).ExitCode);
                Assert.Equal(0, InB("sharpbpf", "net", "attach", type, "id", xdpId, "dev", net.VethB, "overwrite").ExitCode);
                listings[attacher] = InB("bpftool", "net", "show", "dev", net.VethB).Stdout;
                Assert.Equal(listings[attacher], InB("sharpbpf", "net", "show", "dev", net.VethB).Stdout);
                Assert.Equal(0, InB(detacher, "net", "detach", type, "dev", net.VethB).ExitCode);
                Assert.True(net.UdpReaches(7777), $"{type}: UDP should pass again after detach");
            }
            Assert.Equal(listings["bpftool"], listings["sharpbpf"]);
            Assert.Contains($"id {xdpId}", listings["sharpbpf"]);
        }

        // tcx (bpftool 7.4's net attach types): attached with BPF_PROG_ATTACH, so it too outlives the tool.
        var tcx = InB("sharpbpf", "net", "attach", "tcx_ingress", "id", tcId, "dev", net.VethB);
        Assert.True(tcx.ExitCode == 0, tcx.Stderr);
        Assert.False(net.UdpReaches(7777, timeoutMs: 300));
        Assert.Contains($"{net.VethB}(2) tcx/ingress tc_drop_udp id {tcId}\n", InB("sharpbpf", "net", "show").Stdout);
        Assert.Equal(0, InB("sharpbpf", "net", "detach", "tcx_ingress", "dev", net.VethB).ExitCode);
        Assert.True(net.UdpReaches(7777), "UDP should pass again after the tcx detach");
        var none = InB("sharpbpf", "net", "detach", "tcx_ingress", "dev", net.VethB);
        Assert.Equal((1, $"sharpbpf: tcx_ingress on {net.VethB}: no program attached by net attach (programs attached through links stay)\n"), (none.ExitCode, none.Stderr));
        var bad = InB("sharpbpf", "net", "attach", "tc", "id", tcId, "dev", net.VethB);
        Assert.Equal("sharpbpf: net attach: invalid net attach/detach type 'tc' (expected xdp, xdpgeneric, xdpdrv, xdpoffload, tcx_ingress, tcx_egress)\n", bad.Stderr);
    }
}
