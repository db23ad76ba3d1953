using SharpBpf.Linux;
using SharpBpf.Linux.Attach;

namespace SharpBpf.Tests.Linux.Attach;

/// <summary>The kprobe code path up to the syscall, against prepared sysfs/tracefs directories.</summary>
public class KprobePlanTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sharpbpf-kprobe-").FullName;

    [Fact]
    public void UsesThePmuTypeAndRetprobeBitWhenThePmuExists()
    {
        var pmu = Path.Combine(_dir, "kprobe");
        Directory.CreateDirectory(Path.Combine(pmu, "format"));
        File.WriteAllText(Path.Combine(pmu, "type"), "6\n");
        File.WriteAllText(Path.Combine(pmu, "format", "retprobe"), "config:0\n");
        var plan = Kprobe.Plan("do_sys_openat2", retprobe: true, offset: 8, pmu, tracefsRoot: _dir);
        Assert.Equal(6u, plan.PmuAttr!.Value.Type);
        Assert.Equal(1UL, plan.PmuAttr.Value.Config);
        Assert.Equal(8UL, plan.PmuAttr.Value.Config2);
        Assert.Null(plan.KprobeEventsFile);
        var bytes = PerfEventOpen.Encode(plan.PmuAttr.Value);
        Assert.Equal(6u, BitConverter.ToUInt32(bytes, 0));
        Assert.Equal(112u, BitConverter.ToUInt32(bytes, 4));
        Assert.Equal(8UL, BitConverter.ToUInt64(bytes, 64));
    }

    [Fact]
    public void FallsBackToTracefsKprobeEvents()
    {
        File.WriteAllText(Path.Combine(_dir, "kprobe_events"), "");
        var plan = Kprobe.Plan("vfs_read", retprobe: false, offset: 0, Path.Combine(_dir, "no-pmu"), tracefsRoot: _dir);
        Assert.Null(plan.PmuAttr);
        Assert.Equal($"p:kprobes/sharpbpf_{Environment.ProcessId}_vfs_read vfs_read", plan.EventLine);
    }

    [Fact]
    public void NeitherPmuNorTracefsIsNotSupported()
    {
        var e = Assert.Throws<HookNotSupportedException>(() => Kprobe.Plan("vfs_read", false, 0, Path.Combine(_dir, "no-pmu"), _dir));
        Assert.Contains("CONFIG_KPROBE_EVENTS", e.Message);
        Assert.IsAssignableFrom<BpfNotSupportedException>(e);
    }

    [Fact]
    public void MalformedFormatFilesAreReported()
    {
        var pmu = Path.Combine(_dir, "kprobe");
        Directory.CreateDirectory(Path.Combine(pmu, "format"));
        File.WriteAllText(Path.Combine(pmu, "type"), "6");
        File.WriteAllText(Path.Combine(pmu, "format", "retprobe"), "bogus");
        Assert.Throws<BpfHookSpecException>(() => Kprobe.Plan("f", true, 0, pmu, _dir));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
