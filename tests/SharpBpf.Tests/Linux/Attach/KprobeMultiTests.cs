using SharpBpf.Linux;
using SharpBpf.Linux.Attach;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux.Attach;

/// <summary>Multi-kprobe links: patterns, the link_create attribute, section names, and the kernel's answer here.</summary>
public class KprobeMultiTests
{
    [Fact]
    public void PatternsMatchAsLibbpfGlobs()
    {
        string[] lines = ["vfs_read", "vfs_write", "vfs_readv [ext4]", "do_sys_open", "vfs_read", "__x64_sys_getpid", "__x64_sys_getppid"];
        Assert.Equal(["vfs_read", "vfs_readv", "vfs_write"], KprobeMulti.Resolve("vfs_*", lines));
        Assert.Equal(["vfs_read"], KprobeMulti.Resolve("vfs_rea?", lines));
        Assert.Equal(["__x64_sys_getpid", "__x64_sys_getppid"], KprobeMulti.Resolve("*getp*id", lines));
        Assert.Throws<BpfHookSpecException>(() => KprobeMulti.Resolve("nothing_*", lines));
        Assert.Throws<BpfHookSpecException>(() => KprobeMulti.Resolve("a b", lines));
    }

    [Fact]
    public void TheAttributeCarriesFlagsCountSymbolsAndCookies()
    {
        var attr = KprobeMulti.Attr(7, 3, 0x1000, 0x2000, retprobe: true);
        Assert.Equal((7u, 0u, (uint)BpfAttachType.TraceKprobeMulti, 0u), (attr.ProgFd, attr.TargetFd, attr.AttachType, attr.Flags));
        Assert.Equal(1UL | (3UL << 32), attr.Extra0);  // kprobe_multi.flags = RETURN, .cnt = 3
        Assert.Equal((0x1000UL, 0UL, 0x2000UL), (attr.Extra1, attr.Extra2, attr.Extra3));  // syms, addrs, cookies
        Assert.Equal(0UL, KprobeMulti.Attr(7, 1, 1, 0, retprobe: false).Extra0 & 1);
    }

    [Fact]
    public void SectionNamesAndErrors()
    {
        Assert.Equal(new HookSpec(HookKind.KprobeMulti, "vfs_*"), HookSpec.Parse("kprobe.multi/vfs_*"));
        Assert.Equal(new HookSpec(HookKind.KprobeMulti, "tcp_*", Return: true), HookSpec.Parse("kretprobe.multi/tcp_*"));
        Assert.Throws<BpfHookSpecException>(() => HookSpec.Parse("kprobe.multi"));
        Assert.IsType<HookNotSupportedException>(KprobeMulti.Refusal(Errno.EOPNOTSUPP, "x"));
        Assert.Contains("kprobe.multi/", KprobeMulti.Refusal(Errno.EINVAL, "x").Message);
        Assert.Contains("available_filter_functions", KprobeMulti.Refusal(Errno.ESRCH, "x").Message);
    }

    [SkippableFact]
    public void AttachesOnThisKernelOrIsRefusedClearly()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject("hook_kprobe_multi.c");
        IBpfLink link;
        try
        {
            link = AutoAttach.Attach(obj.Program("count_getp"), obj.ProgramSpec("count_getp"));
        }
        catch (HookNotSupportedException e)
        {
            Assert.Contains("multi-kprobe", e.Message);
            return;
        }
        using (link)
        {
            Assert.True(link.IsBpfLink);
            Assert.Equal(BpfLinkType.KprobeMulti, ((BpfLink)link).Info().Type);
            TracingHookTests.CallGetpid(10);
            Assert.True(obj.ReadU64("counts", 0) >= 10);
        }
        using (KprobeMulti.Attach(obj.Program("count_getp").Fd, ["__x64_sys_getppid"], cookies: [0x5eed]))
        {
            TracingHookTests.getppid();
            Assert.Equal(0x5eedUL, obj.ReadU64("counts", 1));
        }
    }
}
