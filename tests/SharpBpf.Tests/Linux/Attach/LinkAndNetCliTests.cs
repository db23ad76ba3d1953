using SharpBpf.Linux.Attach;
using SharpBpf.Linux.Netlink;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux.Attach;

/// <summary>`sharpbpf link show` and `sharpbpf net list` against bpftool 7.1 on the same live links and interfaces.</summary>
public class LinkAndNetCliTests
{
    private static readonly string[][] Formats = [[], ["-j"], ["-p"]];

    [SkippableFact]
    public void LinkShowMatchesBpftoolForEachLinkType()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        using var tp = new LoadedObject("hook_tracepoint_getpid.c");
        using var raw = new LoadedObject("hook_raw_tp.c");
        using var cg = new LoadedObject("hook_cgroup_skb.c");
        using var xdp = new LoadedObject("hook_xdp_drop_udp.c");
        using var net = new NetnsPair();
        var cgroup = TempCgroup();
        try
        {
            var links = new List<BpfLink>
            {
                (BpfLink)Tracepoint.Attach(tp.Program("count_getpid").Fd, "syscalls/sys_enter_getpid"),
                RawTracepoint.Attach(raw.Program("count_sys_enter").Fd, "sys_enter"),
                (BpfLink)Cgroup.Attach(cg.Program("egress_drop_9797").Fd, cgroup, BpfAttachType.CgroupInetEgress),
                (BpfLink)net.InB(() => Xdp.Attach(xdp.Program("xdp_drop_udp").Fd, net.VethB)),
            };
            try
            {
                foreach (var link in links)
                {
                    var id = link.Info().Id.ToString();
                    foreach (var format in Formats)
                    {
                        var expected = TestPrograms.Run(bpftool, [.. format, "link", "show", "id", id]);
                        var actual = SharpBpfCli.Run(["link", "show", "id", id, .. format]);
                        Assert.True(actual.ExitCode == 0, actual.Stderr);
                        Assert.Equal(expected.Stdout, actual.Stdout);
                    }
                }
                var all = SharpBpfCli.Run("link", "list", "-j");
                Assert.All(links, l => Assert.Contains($"\"id\":{l.Info().Id},", all.Stdout));
            }
            finally
            {
                links.ForEach(l => l.Dispose());
            }
        }
        finally
        {
            Directory.Delete(cgroup);
        }
    }

    [SkippableFact]
    public void LinkShowNamesTcxLinks()
    {
        Requirements.Kernel();
        using var tc = new LoadedObject("hook_tc_drop_udp.c");
        using var net = new NetnsPair();
        using var link = (BpfLink)net.InB(() => Tc.Attach(tc.Program("tc_drop_udp").Fd, net.VethB, TcDirection.Egress));
        var id = link.Info().Id;
        // Interface names resolve in the caller's namespace (as in bpftool): run inside B.
        var shown = TestPrograms.Run("ip", ["netns", "exec", net.B, "dotnet", SharpBpfCli.DllPath, "link", "show", "id", id.ToString()]);
        Assert.Equal($"{id}: tcx  prog {tc.Program("tc_drop_udp").Id}  \n\tifindex {net.VethB}(2)  attach_type tcx_egress  \n", shown.Stdout);
    }

    [SkippableFact]
    public void NetListMatchesBpftoolInsideTheNamespace()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        using var xdp = new LoadedObject("hook_xdp_drop_udp.c");
        using var tc = new LoadedObject("hook_tc_drop_udp.c");
        using var net = new NetnsPair();
        var links = new List<IBpfLink>
        {
            net.InB(() => Xdp.Attach(xdp.Program("xdp_drop_udp").Fd, net.VethB, XdpMode.Generic, useNetlink: true)),
            net.InB(() => Tc.Attach(tc.Program("tc_drop_udp").Fd, net.VethB, TcDirection.Ingress, useNetlink: true)),
            net.InB(() => Tc.Attach(tc.Program("tc_drop_udp").Fd, net.VethB, TcDirection.Egress, useNetlink: true)),
        };
        try
        {
            foreach (var format in Formats)
            {
                var expected = TestPrograms.Run("ip", ["netns", "exec", net.B, bpftool, .. format, "net", "list"]);
                var actual = TestPrograms.Run("ip", ["netns", "exec", net.B, "dotnet", SharpBpfCli.DllPath, "net", "list", .. format]);
                Assert.True(actual.ExitCode == 0, actual.Stderr);
                Assert.Equal(expected.Stdout, actual.Stdout);
            }
            // tcx links, which bpftool 7.1 does not know, are listed after the cls_bpf filters.
            using var tcx = (BpfLink)net.InB(() => Tc.Attach(tc.Program("tc_drop_udp").Fd, net.VethB, TcDirection.Ingress));
            var listing = net.InB(() => NetListing.Collect(net.VethB));
            Assert.Equal(["clsact/ingress", "clsact/egress", "tcx/ingress"], listing.Tc.Select(t => t.Mode));
            Assert.Equal("tc_drop_udp", listing.Tc[2].Name);
            Assert.Equal("generic", Assert.Single(listing.Xdp).Mode);
        }
        finally
        {
            links.ForEach(l => net.InB(l.Dispose));
        }
    }

    [SkippableFact]
    public void PinShowPinnedAndDetachThroughTheCli()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        using var raw = new LoadedObject("hook_raw_tp.c");
        raw.WriteU64("config", 0, (ulong)TracingHookTests.gettid());
        using var link = RawTracepoint.Attach(raw.Program("count_sys_enter").Fd, "sys_enter");
        var id = link.Info().Id.ToString();
        var dir = Directory.CreateTempSubdirectory("sharpbpf-linkcli-").FullName;
        SharpBpf.Linux.BpfFs.EnsureMounted(dir);
        try
        {
            var pin = Path.Combine(dir, "link");
            var pinned = SharpBpfCli.Run("link", "pin", "id", id, pin);
            Assert.True(pinned.ExitCode == 0, pinned.Stderr);
            foreach (var format in Formats)
            {
                Assert.Equal(TestPrograms.Run(bpftool, [.. format, "link", "show", "pinned", pin]).Stdout,
                    SharpBpfCli.Run(["link", "show", "pinned", pin, .. format]).Stdout);
                Assert.Equal(TestPrograms.Run(bpftool, [.. format, "-f", "link", "show", "id", id]).Stdout,
                    SharpBpfCli.Run(["link", "show", "id", id, "-f", .. format]).Stdout);
            }
            // Raw tracepoint links cannot be detached: the kernel's refusal comes back as one line.
            var refused = SharpBpfCli.Run("link", "detach", "pinned", pin);
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("EOPNOTSUPP", refused.Stderr);
        }
        finally
        {
            SharpBpf.Linux.BpfFs.Unmount(dir);
            Directory.Delete(dir);
        }
    }

    [SkippableFact]
    public void DetachThroughTheCliEmptiesACgroupLink()
    {
        Requirements.Kernel();
        var bash = Requirements.Tool("bash");
        using var cg = new LoadedObject("hook_cgroup_skb.c");
        var cgroup = TempCgroup();
        try
        {
            using var link = (BpfLink)Cgroup.Attach(cg.Program("egress_drop_9797").Fd, cgroup, BpfAttachType.CgroupInetEgress);
            Assert.NotEqual(0UL, link.Info().CgroupId);
            var detached = SharpBpfCli.Run("link", "detach", "id", link.Info().Id.ToString());
            Assert.True(detached.ExitCode == 0, detached.Stderr);
            Assert.Equal(0UL, link.Info().CgroupId);  // the link lives on, attached to nothing
            var send = TestPrograms.Run(bash, ["-c", $"echo $$ > {cgroup}/cgroup.procs || exit 9; echo x > /dev/udp/127.0.0.1/9797"]);
            Assert.Equal(0, send.ExitCode);
            Assert.Equal(0UL, cg.ReadU64("counts", 0));
        }
        finally
        {
            Directory.Delete(cgroup);
        }
    }

    [SkippableFact]
    public void BadSelectorsFailWithOneLine()
    {
        Requirements.Kernel();
        foreach (var args in new[] { new[] { "net", "list", "dev", "nosuchdev0" }, ["link", "show", "id", "4000000000"], ["link", "show", "name", "x"] })
        {
            var (code, stdout, stderr) = SharpBpfCli.Run(args);
            Assert.Equal(1, code);
            Assert.Equal("", stdout);
            Assert.StartsWith("sharpbpf: ", stderr);
            Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        }
    }

    private static string TempCgroup()
    {
        var root = File.ReadLines("/proc/self/mounts").Select(l => l.Split(' ')).First(f => f.Length > 2 && f[2] == "cgroup2")[1];
        var dir = Path.Combine(root, $"sharpbpf-test-{Environment.ProcessId}-{Random.Shared.Next(100000)}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
