using System.Text;
using SharpBpf.Linux.Attach;
using SharpBpf.Linux.Events;
using SharpBpf.Tests.Linux.Attach;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux.Events;

/// <summary>A tracepoint program sends one bpf_perf_event_output record per getpid() of this process.</summary>
public class PerfEventReaderTests
{
    private static (LoadedObject Obj, IBpfLink Link) Start()
    {
        Requirements.Kernel();
        var obj = new LoadedObject("hook_perf_output.c");
        obj.WriteU64("config", 0, (ulong)TracingHookTests.gettid());
        return (obj, Tracepoint.Attach(obj.Program("perf_getpid").Fd, "syscalls/sys_enter_getpid"));
    }

    private static uint Check(ReadOnlySpan<byte> sample)
    {
        Assert.Equal(28, sample.Length);
        Assert.Equal((uint)Environment.ProcessId, BitConverter.ToUInt32(sample));
        Assert.Equal("sharpbpf perf rec", Encoding.ASCII.GetString(sample.Slice(8, 17)));
        return BitConverter.ToUInt32(sample[4..]);
    }

    [SkippableFact]
    public void ReceivesEverySample()
    {
        var (obj, link) = Start();
        using var _ = obj;
        using var __ = link;
        using var reader = new PerfEventReader(obj.Map("events"));
        Assert.Equal(SharpBpf.Linux.Events.Cpus.Online().Count, reader.RingCpus.Count);
        TracingHookTests.CallGetpid(50);
        var seqs = new List<uint>();
        var deadline = Environment.TickCount64 + 5000;
        while (seqs.Count < 50 && Environment.TickCount64 < deadline)
            reader.Poll(TimeSpan.FromMilliseconds(200), (_, s) => seqs.Add(Check(s)));
        seqs.Sort();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (uint)i), seqs);
        Assert.Equal(0, reader.LostSamples);
    }

    [SkippableFact]
    public void ReportsLostSamplesWhenARingOverflowsAndParsesWrappedRecords()
    {
        var (obj, link) = Start();
        using var _ = obj;
        using var __ = link;
        using var reader = new PerfEventReader(obj.Map("events"), pagesPerCpu: 1);
        var received = 0;
        long lostByCallback = 0;
        // 1 page holds ~100 samples of 40 bytes: flood without reading, drain, then one more call makes the
        // kernel write its PERF_RECORD_LOST. Records straddle the ring's end along the way (4096 is no multiple of 40).
        for (var round = 0; round < 3; round++)
        {
            TracingHookTests.CallGetpid(700);
            reader.Consume((_, s) => { Check(s); received++; }, (_, n) => lostByCallback += (long)n);
        }
        TracingHookTests.CallGetpid(1);
        reader.Poll(TimeSpan.FromSeconds(1), (_, s) => { Check(s); received++; }, (_, n) => lostByCallback += (long)n);
        reader.Consume((_, s) => { Check(s); received++; }, (_, n) => lostByCallback += (long)n);
        Assert.True(reader.LostSamples > 0, "the flood overflowed the one-page ring");
        Assert.Equal(reader.LostSamples, lostByCallback);
        Assert.Equal(2101, received + reader.LostSamples);
    }

    [SkippableFact]
    public void DisposeDuringABlockedPollReleasesEverything()
    {
        var (obj, link) = Start();
        using var _ = obj;
        using var __ = link;
        var reader = new PerfEventReader(obj.Map("events"));
        var mapped = RingBufferReaderTests.MapsLines(reader.Mappings);
        Assert.Equal(reader.RingCpus.Count, mapped.Count);
        var poll = BlockedCall.Start(() => reader.Poll(Timeout.InfiniteTimeSpan, (_, _) => { }));
        Assert.False(poll.IsCompleted);
        reader.Dispose();
        Assert.True(poll.Wait(TimeSpan.FromSeconds(3)));
        Assert.Equal(0, poll.Result);
        RingBufferReaderTests.AssertUnmapped(mapped);
    }

    [Fact]
    public void ParsesCpuLists()
    {
        Assert.Equal([0, 1, 2, 3, 5, 7, 8], SharpBpf.Linux.Events.Cpus.ParseList("0-3,5,7-8\n"));
        Assert.Throws<BpfFormatException>(() => SharpBpf.Linux.Events.Cpus.ParseList("3-1"));
    }
}
