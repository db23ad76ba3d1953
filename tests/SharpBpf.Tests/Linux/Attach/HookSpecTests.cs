using SharpBpf.Linux;
using SharpBpf.Linux.Attach;

namespace SharpBpf.Tests.Linux.Attach;

public class HookSpecTests
{
    [Theory]
    [InlineData("tracepoint/syscalls/sys_enter_getpid", HookKind.Tracepoint, "syscalls/sys_enter_getpid")]
    [InlineData("tp/sched/sched_switch", HookKind.Tracepoint, "sched/sched_switch")]
    [InlineData("raw_tracepoint/sys_enter", HookKind.RawTracepoint, "sys_enter")]
    [InlineData("raw_tp/sched_switch", HookKind.RawTracepoint, "sched_switch")]
    [InlineData("raw_tp.w/sys_exit", HookKind.RawTracepoint, "sys_exit")]
    [InlineData("kprobe/do_sys_openat2", HookKind.Kprobe, "do_sys_openat2")]
    [InlineData("xdp", HookKind.Xdp, null)]
    [InlineData("xdp.frags", HookKind.Xdp, null)]
    [InlineData("socket", HookKind.SocketFilter, null)]
    public void ParsesKindAndTarget(string section, HookKind kind, string? target)
    {
        var spec = HookSpec.Parse(section);
        Assert.Equal(kind, spec.Kind);
        Assert.Equal(target, spec.Target);
    }

    [Fact]
    public void ParsesProbeDetails()
    {
        Assert.Equal(new HookSpec(HookKind.Uprobe, "libc.so.6", "malloc"), HookSpec.Parse("uprobe/libc.so.6:malloc"));
        Assert.Equal(new HookSpec(HookKind.Uprobe, "/usr/bin/bash", "readline", 0x10, Return: true), HookSpec.Parse("uretprobe//usr/bin/bash:readline+0x10"));
        Assert.Equal(new HookSpec(HookKind.Uprobe, "libc.so.6", "malloc@@GLIBC_2.2.5"), HookSpec.Parse("uprobe/libc.so.6:malloc@@GLIBC_2.2.5"));
        Assert.Equal(new HookSpec(HookKind.Uprobe, "/bin/true", "", 0x1234), HookSpec.Parse("uprobe//bin/true:0x1234"));
        Assert.Equal(new HookSpec(HookKind.Kprobe, "vfs_read", null, 16, Return: true), HookSpec.Parse("kretprobe/vfs_read+16"));
        Assert.Equal(TcDirection.Egress, HookSpec.Parse("tcx/egress").Direction);
        Assert.Equal(TcDirection.Ingress, HookSpec.Parse("tc/ingress").Direction);
        Assert.Null(HookSpec.Parse("tc").Direction);
        Assert.Equal(BpfAttachType.CgroupInetEgress, HookSpec.Parse("cgroup_skb/egress").AttachType);
        Assert.Equal(BpfAttachType.CgroupInet4Connect, HookSpec.Parse("cgroup/connect4").AttachType);
    }

    [Theory]
    [InlineData("tracepoint/syscalls")]
    [InlineData("tracepoint")]
    [InlineData("raw_tp/")]
    [InlineData("uprobe")]
    [InlineData("uprobe/libc.so.6")]
    [InlineData("kprobe/vfs_read+zz")]
    [InlineData("tcx/sideways")]
    [InlineData("cgroup_skb/sideways")]
    [InlineData("fentry/do_unlinkat")]
    [InlineData("xdp/devmap")]
    public void RejectsSectionsThatNameNoReachableHook(string section)
    {
        var e = Assert.Throws<BpfHookSpecException>(() => HookSpec.Parse(section));
        Assert.Contains(section, e.Message);
    }

    [Fact]
    public void AutoAttachAsksForWhatTheHookNeeds()
    {
        using var fake = new SharpBpf.Linux.BpfFd(-1, ownsHandle: false);
        var e = Assert.Throws<BpfHookSpecException>(() => AutoAttach.Attach(fake, "xdp"));
        Assert.Contains("interface", e.Message);
        e = Assert.Throws<BpfHookSpecException>(() => AutoAttach.Attach(fake, "cgroup_skb/ingress"));
        Assert.Contains("cgroup", e.Message);
    }
}
