using SharpBpf.Linux.Attach;
using SharpBpf.Tests.Linux.Attach;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Cli;

/// <summary>`sharpbpf cgroup` against bpftool 7.1 on cgroups of our own, with programs attached by both tools.</summary>
public class CgroupCliTests
{
    private static readonly string[][] Formats = [[], ["-j"], ["-p"]];

    private static string Root()
    {
        var root = CgroupPrograms.FindRoot();
        Skip.If(root is null && !Requirements.Strict, "no cgroup v2 mount");
        return root ?? throw new InvalidOperationException("no cgroup v2 mount");
    }

    [SkippableFact]
    public void ShowTreeAttachAndDetachMatchBpftool()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        var parent = Path.Combine(Root(), $"sharpbpf-i16-{Environment.ProcessId}-{Random.Shared.Next(100000)}");
        var child = Path.Combine(parent, "child");
        Directory.CreateDirectory(child);
        try
        {
            using var obj = new LoadedObject("hook_cgroup_skb.c");
            var id = obj.Program("egress_drop_9797").Info().Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            void Ok((int Code, string Stdout, string Stderr) r) => Assert.True(r.Code == 0, r.Stderr);
            // Attached by us (multi, override, a link from the library) and by bpftool (override on the child).
            Ok(SharpBpfCli.Run("cgroup", "attach", parent, "cgroup_inet_ingress", "id", id, "multi"));
            Ok(SharpBpfCli.Run("cgroup", "attach", parent, "egr", "id", id, "over"));
            using var link = Cgroup.Attach(obj.Program("egress_drop_9797").Fd, child, BpfAttachType.CgroupInetIngress);
            Ok(TestPrograms.Run(bpftool, ["cgroup", "attach", child, "egress", "id", id, "override"]));

            foreach (var format in Formats)
            {
                foreach (var args in new string[][] { ["show", parent], ["show", child, "effective"], ["list", child], ["tree", parent], ["tree", parent, "eff"] })
                {
                    var expected = TestPrograms.Run(bpftool, [.. format, "cgroup", .. args]);
                    var actual = SharpBpfCli.Run(["cgroup", .. format, .. args]);
                    Assert.True(expected.ExitCode == 0, expected.Stderr);
                    Assert.Equal(expected.Stdout, actual.Stdout);
                    Assert.Equal(0, actual.ExitCode);
                }
            }
            Assert.Contains("multi", SharpBpfCli.Run("cgroup", "show", parent).Stdout);

            Ok(SharpBpfCli.Run("cgroup", "detach", parent, "ingress", "id", id));
            Ok(SharpBpfCli.Run("cgroup", "detach", child, "egress", "id", id));
            var detached = SharpBpfCli.Run("cgroup", "-j", "detach", parent, "cgroup_inet_egress", "id", id);
            Assert.Equal((0, "null\n"), (detached.ExitCode, detached.Stdout));
            Assert.Equal("", TestPrograms.Run(bpftool, ["cgroup", "show", parent]).Stdout);
            Assert.Equal("\n", SharpBpfCli.Run("cgroup", "-j", "show", parent).Stdout);
        }
        finally
        {
            Directory.Delete(child);
            Directory.Delete(parent);
        }
    }

    [SkippableFact]
    public void TheWholeTreeMatchesBpftool()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        Root();
        // Other tenants attach and detach while we look: a few tries to catch both tools seeing the same tree.
        for (var attempt = 0; ; attempt++)
        {
            var expected = TestPrograms.Run(bpftool, ["-j", "cgroup", "tree"]).Stdout;
            var actual = SharpBpfCli.Run("cgroup", "-j", "tree").Stdout;
            if (expected == actual || attempt == 4)
            {
                Assert.Equal(expected, actual);
                break;
            }
        }
    }

    [SkippableFact]
    public void BadArgumentsAreOneLine()
    {
        foreach (var args in new string[][] { ["cgroup", "attach", "/nonexistent", "ingress"], ["cgroup", "attach", "/sys", "nosuchtype", "id", "1"],
                     ["cgroup", "show", "/no/such/cgroup"], ["cgroup", "show", "/sys", "bogus"] })
        {
            var (code, stdout, stderr) = SharpBpfCli.Run(args);
            Assert.NotEqual(0, code);
            Assert.Matches("^sharpbpf: [^\n]+\n$", stderr);
        }
    }
}
