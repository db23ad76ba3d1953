using System.Runtime.InteropServices;
using SharpBpf.Linux;
using SharpBpf.Linux.Attach;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux.Attach;

/// <summary>Tracepoint and raw tracepoint programs counting this thread's getpid() calls in the real kernel.</summary>
public class TracingHookTests
{
    [DllImport("libc")]
    internal static extern int getpid();

    [DllImport("libc")]
    internal static extern int getppid();

    /// <summary>The calling thread's id: the test programs count one thread only, as tests run in parallel.</summary>
    [DllImport("libc")]
    internal static extern int gettid();

    internal static void CallGetpid(int times)
    {
        for (var i = 0; i < times; i++)
            getpid();
    }

    [SkippableFact]
    public void TracepointCountsGetpidUntilDisposed()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject("hook_tracepoint_getpid.c");
        obj.WriteU64("config", 0, (ulong)TracingHookTests.gettid());
        var link = Tracepoint.Attach(obj.Program("count_getpid").Fd, "syscalls", "sys_enter_getpid");
        Assert.Equal("tracepoint syscalls/sys_enter_getpid", link.Description);
        CallGetpid(25);
        Assert.Equal(25UL, obj.ReadU64("counts", 0));
        Assert.True(link.IsBpfLink, "Linux 6.18 has perf links (BPF_LINK_CREATE with BPF_PERF_EVENT)");
        Assert.Equal(BpfLinkType.PerfEvent, ((BpfLink)link).Info().Type);
        link.Dispose();
        CallGetpid(5);
        Assert.Equal(25UL, obj.ReadU64("counts", 0));
    }

    [SkippableFact]
    public void TheIoctlAttachmentOfOlderKernelsWorksToo()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject("hook_tracepoint_getpid.c");
        obj.WriteU64("config", 0, (ulong)gettid());
        var attachment = Tracepoint.Attach(obj.Program("count_getpid").Fd, "syscalls", "sys_enter_getpid", useLink: false);
        Assert.False(attachment.IsBpfLink);
        CallGetpid(4);
        attachment.Dispose();
        attachment.Dispose();  // idempotent
        CallGetpid(4);
        Assert.Equal(4UL, obj.ReadU64("counts", 0));
    }

    [SkippableFact]
    public void DisposedLinksLeaveTheKernel()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject("hook_raw_tp.c");
        var link = RawTracepoint.Attach(obj.Program("count_sys_enter").Fd, "sys_enter");
        var id = link.Info().Id;
        Assert.Contains(id, SharpBpf.Linux.BpfSyscall.Ids(SharpBpf.Linux.BpfObjectKind.Link));
        link.Dispose();
        var deadline = Environment.TickCount64 + 2000;
        while (SharpBpf.Linux.BpfSyscall.Ids(SharpBpf.Linux.BpfObjectKind.Link).Contains(id) && Environment.TickCount64 < deadline)
            Thread.Sleep(20);
        Assert.DoesNotContain(id, SharpBpf.Linux.BpfSyscall.Ids(SharpBpf.Linux.BpfObjectKind.Link));
    }

    [SkippableFact]
    public void AutoAttachReadsTheSectionName()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject("hook_tracepoint_getpid.c");
        obj.WriteU64("config", 0, (ulong)TracingHookTests.gettid());
        Assert.Equal("tracepoint/syscalls/sys_enter_getpid", obj.ProgramSpec("count_getpid").SectionName);
        using (AutoAttach.Attach(obj.Program("count_getpid"), obj.ProgramSpec("count_getpid")))
            CallGetpid(3);
        Assert.Equal(3UL, obj.ReadU64("counts", 0));
    }

    [SkippableFact]
    public void AttachAllAttachesEveryProgramItCan()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject("hook_perf_output.c");
        obj.WriteU64("config", 0, (ulong)gettid());
        var links = AutoAttach.AttachAll(obj.Collection, obj.Spec);
        try
        {
            Assert.Equal(["tracepoint syscalls/sys_enter_getpid", "tracepoint syscalls/sys_enter_getppid"], links.Select(l => l.Description).Order());
            CallGetpid(3);
            Assert.Equal(3UL, obj.ReadU64("counts", 0));
        }
        finally
        {
            foreach (var link in links)
                link.Dispose();
        }
    }

    [SkippableFact]
    public void RawTracepointLinkCanBeInspectedPinnedAndListed()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject("hook_raw_tp.c");
        obj.WriteU64("config", 0, (ulong)TracingHookTests.gettid());
        using var link = (BpfLink)AutoAttach.Attach(obj.Program("count_sys_enter"), "raw_tp/sys_enter");
        CallGetpid(10);
        Assert.True(obj.ReadU64("counts", 1) >= 10, "getpid calls seen at sys_enter");
        Assert.True(obj.ReadU64("counts", 0) >= obj.ReadU64("counts", 1));

        var info = link.Info();
        Assert.Equal(BpfLinkType.RawTracepoint, info.Type);
        Assert.Equal("sys_enter", info.TracepointName);
        Assert.Equal(obj.Program("count_sys_enter").Id, info.ProgramId);
        Assert.Contains(BpfLink.List(), l => l.Id == info.Id && l.Type == BpfLinkType.RawTracepoint);

        var dir = Path.Combine(Path.GetTempPath(), $"sharpbpf-hooks-pin-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        BpfFs.EnsureMounted(dir);
        try
        {
            link.Pin(Path.Combine(dir, "link"));
            using var again = BpfLink.FromPin(Path.Combine(dir, "link"));
            Assert.Equal(info.Id, again.Info().Id);
            using var byId = BpfLink.FromId(info.Id);
            Assert.Equal(info.Id, byId.Info().Id);
        }
        finally
        {
            BpfFs.Unmount(dir);
            Directory.Delete(dir);
        }
    }

    [SkippableFact]
    public void UnknownTracepointsAreNamedInTheError()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject("hook_tracepoint_getpid.c");
        var e = Assert.Throws<HookNotSupportedException>(() => Tracepoint.Attach(obj.Program("count_getpid").Fd, "syscalls/sys_enter_no_such_call"));
        Assert.Contains("syscalls/sys_enter_no_such_call", e.Message);
        Assert.IsAssignableFrom<BpfNotSupportedException>(e);
        var raw = Assert.Throws<BpfSyscallException>(() => RawTracepoint.Attach(obj.Program("count_getpid").Fd, "no_such_raw_tp"));
        Assert.Contains("no_such_raw_tp", raw.Message);
    }

    [SkippableFact]
    public void KprobesRaiseNotSupportedOnThisKernel()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject("hook_tracepoint_getpid.c");
        if (File.Exists(Path.Combine(Kprobe.DefaultPmuDir, "type")) || File.Exists(Path.Combine(Tracefs.Root, "kprobe_events")))
            return;  // a kernel with kprobes: nothing to check here
        var e = Assert.Throws<HookNotSupportedException>(() => AutoAttach.Attach(obj.Program("count_getpid"), "kprobe/do_sys_openat2"));
        Assert.Contains("CONFIG_KPROBE_EVENTS", e.Message);
    }
}
