using SharpBpf.Linux;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Cli;

/// <summary>`sharpbpf map getnext|peek|push|enqueue|pop|dequeue|freeze` against bpftool 7.1 on maps of our own.</summary>
public class MapQueueCliTests
{
    private static readonly string[][] Formats = [[], ["-j"], ["-p"]];

    [SkippableFact]
    public void QueueStackAndHashCommandsMatchBpftool()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        using var queue = KernelMap.Create("i16_queue", BpfMapType.Queue, 0, 4, 8);
        using var stack = KernelMap.Create("i16_stack", BpfMapType.Stack, 0, 4, 8);
        using var hash = KernelMap.Create("i16_hash", BpfMapType.Hash, 4, 8, 8);
        hash.Update(BitConverter.GetBytes(7), BitConverter.GetBytes(70L));
        hash.Update(BitConverter.GetBytes(9), BitConverter.GetBytes(90L));
        string Id(KernelMap m) => m.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);

        void Same(string[] format, params string[] args)
        {
            var expected = TestPrograms.Run(bpftool, [.. format, "map", .. args]);
            var actual = SharpBpfCli.Run(["map", .. format, .. args]);
            Assert.Equal(expected.ExitCode == 0, actual.ExitCode == 0);
            // bpftool -j reports errors as {"error": ...} on stdout, and so does sharpbpf (in its own words).
            if (expected.Stdout.Contains("\"error\":", StringComparison.Ordinal))
                Assert.Matches(format.Length == 0 ? "^$" : "^\\{\n?( {4})?\"error\": ?\".+\"\n?\\}\n$", actual.Stdout);
            else
                Assert.Equal(expected.Stdout, actual.Stdout);
        }

        foreach (var format in Formats)
        {
            foreach (var m in new[] { queue, stack })
            {
                // Each tool pushes two values; each pop takes one back, so both see the same contents.
                foreach (var tool in new[] { "bpftool", "sharpbpf" })
                {
                    string[] push = ["map", "push", "id", Id(m), "value", "1", "2", "3", "4"];
                    var r = tool == "bpftool" ? TestPrograms.Run(bpftool, push) : SharpBpfCli.Run(push);
                    Assert.True(r.ExitCode == 0, r.Stderr);
                    string[] enqueue = ["map", "enqueue", "id", Id(m), "value", "5", "0", "0", "0"];
                    r = tool == "bpftool" ? TestPrograms.Run(bpftool, enqueue) : SharpBpfCli.Run(enqueue);
                    Assert.True(r.ExitCode == 0, r.Stderr);
                }
                Same(format, "peek", "id", Id(m));
                foreach (var verb in new[] { "pop", "dequeue", "pop", "pop" })
                {
                    var before = new byte[4];
                    Assert.True(m.TryLookup([], before));
                    var actual = SharpBpfCli.Run(["map", .. format, verb, "id", Id(m)]);
                    m.Update([], before);  // put it back for bpftool (a stack takes it back on top; a queue at the tail)
                    if (m.Type == BpfMapType.Stack)
                    {
                        var expected = TestPrograms.Run(bpftool, [.. format, "map", verb, "id", Id(m)]);
                        Assert.Equal(expected.Stdout, actual.Stdout);
                    }
                    else
                        Assert.Equal(0, actual.ExitCode);
                }
                while (m.TryLookupAndDelete([], new byte[4]))
                {
                }
                Same(format, "pop", "id", Id(m));  // empty
            }
            Same(format, "getnext", "id", Id(hash));
            Same(format, "getnext", "id", Id(hash), "key", "7", "0", "0", "0");
            Same(format, "getnext", "id", Id(hash), "key", "9", "0", "0", "0");
        }
        using var frozen = KernelMap.Create("i16_frozen", BpfMapType.Array, 4, 4, 1);
        var freeze = SharpBpfCli.Run("map", "-j", "freeze", "id", Id(frozen));
        Assert.Equal((0, "null\n"), (freeze.ExitCode, freeze.Stdout));
        Assert.True(frozen.IsFrozen);
        Assert.Contains("frozen", TestPrograms.Run(bpftool, ["map", "show", "id", Id(frozen)]).Stdout);
    }
}
