using SharpBpf.Linux;
using SharpBpf.Linux.Events;
using SharpBpf.Tests.Events;
using SharpBpf.Tests.Linux.Attach;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux.Events;

/// <summary>What only the kernel's perf buffer reader has: a ring per online CPU, its mappings (the rest: <see cref="KernelEventReaderTests"/>).</summary>
public class PerfEventReaderTests
{
    [SkippableFact]
    public async Task OpensARingPerOnlineCpuAndUnmapsThemOnDispose()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject(EventSource.PerfProgram);
        var reader = new PerfEventReader(obj.Map("events"));
        Assert.Equal(Cpus.Online(), reader.RingCpus);
        var mapped = RingBufferReaderTests.MapsLines(reader.Mappings);
        Assert.Equal(reader.RingCpus.Count, mapped.Count);
        var pending = reader.ReadIntoAsync(new byte[64]);
        Assert.False(pending.IsCompleted);
        reader.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.AsTask());
        RingBufferReaderTests.AssertUnmapped(mapped);
    }

    [SkippableFact]
    public void RejectsMapsThatAreNotPerfEventArraysAndBadRingSizes()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject(EventSource.PerfProgram);
        var e = Assert.Throws<ArgumentException>(() => new PerfEventReader(obj.Map("counts")));
        Assert.Contains("not a BPF_MAP_TYPE_PERF_EVENT_ARRAY", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PerfEventReader(obj.Map("events"), pagesPerCpu: 3));
    }

    [Fact]
    public void ParsesCpuLists()
    {
        Assert.Equal([0, 1, 2, 3, 5, 7, 8], Cpus.ParseList("0-3,5,7-8\n"));
        Assert.Throws<BpfFormatException>(() => Cpus.ParseList("3-1"));
    }
}
