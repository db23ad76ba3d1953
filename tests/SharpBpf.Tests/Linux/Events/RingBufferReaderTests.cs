using System.Globalization;
using SharpBpf.Linux.Attach;
using SharpBpf.Linux.Events;
using SharpBpf.Tests.Linux.Attach;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux.Events;

/// <summary>A tracepoint program writes one ring buffer record per getpid() of this process (every fourth discarded).</summary>
public class RingBufferReaderTests
{
    private const ulong Magic = 0x5348415250425046UL;

    private static (LoadedObject Obj, IBpfLink Link) Start()
    {
        Requirements.Kernel();
        var obj = new LoadedObject("hook_tracepoint_getpid.c");
        obj.WriteU64("config", 0, (ulong)TracingHookTests.gettid());
        return (obj, Tracepoint.Attach(obj.Program("count_getpid").Fd, "syscalls/sys_enter_getpid"));
    }

    private static void Check(ReadOnlySpan<byte> record, List<uint> seqs)
    {
        Assert.Equal(16, record.Length);
        Assert.Equal((uint)Environment.ProcessId, BitConverter.ToUInt32(record));
        Assert.Equal(Magic, BitConverter.ToUInt64(record[8..]));
        seqs.Add(BitConverter.ToUInt32(record[4..]));
    }

    [SkippableFact]
    public void DeliversSubmittedRecordsAndSkipsDiscardedOnes()
    {
        var (obj, link) = Start();
        using var _ = obj;
        using var __ = link;
        using var reader = new RingBufferReader(obj.Map("events"));
        Assert.Equal(4096 * 4, reader.Size);
        TracingHookTests.CallGetpid(40);
        var seqs = new List<uint>();
        var deadline = Environment.TickCount64 + 5000;
        while (seqs.Count < 30 && Environment.TickCount64 < deadline)
            reader.Poll(TimeSpan.FromMilliseconds(200), r => Check(r, seqs));
        Assert.Equal(Enumerable.Range(0, 40).Where(i => i % 4 != 3).Select(i => (uint)i), seqs);
        Assert.Equal(0, reader.Pending);
    }

    [SkippableFact]
    public void HandlesRecordsAcrossTheEndOfTheRing()
    {
        var (obj, link) = Start();
        using var _ = obj;
        using var __ = link;
        using var reader = new RingBufferReader(obj.Map("events"));
        var seqs = new List<uint>();
        // 3000 records of 24 bytes pass through a 16 KiB ring several times.
        for (var round = 0; round < 10; round++)
        {
            TracingHookTests.CallGetpid(300);
            reader.Consume(r => Check(r, seqs));
        }
        Assert.Equal(Enumerable.Range(0, 3000).Where(i => i % 4 != 3).Select(i => (uint)i), seqs);
    }

    [SkippableFact]
    public async Task AsyncEnumerationEndsOnCancellation()
    {
        var (obj, link) = Start();
        using var _ = obj;
        using var __ = link;
        using var reader = new RingBufferReader(obj.Map("events"));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var received = new List<byte[]>();
        var producer = Task.Run(async () =>
        {
            await Task.Delay(100);
            obj.WriteU64("config", 0, (ulong)TracingHookTests.gettid());
            TracingHookTests.CallGetpid(8);  // seq 0..7: 6 submitted, 2 discarded
        });
        await foreach (var record in reader.ReadAllAsync(cts.Token))
        {
            received.Add(record);
            if (received.Count == 6)
                cts.CancelAfter(200);  // the enumeration is now blocked waiting: cancellation must end it
        }
        await producer;
        Assert.True(cts.IsCancellationRequested);
        Assert.Equal(6, received.Count);
        Assert.All(received, r => Assert.Equal(Magic, BitConverter.ToUInt64(r, 8)));
    }

    [SkippableFact]
    public void DisposeDuringABlockedPollReleasesEverything()
    {
        var (obj, link) = Start();
        using var _ = obj;
        using var __ = link;
        var reader = new RingBufferReader(obj.Map("events"));
        var mappings = reader.Mappings;
        Assert.All(mappings, m => Assert.True(IsMapped(m.Start), "the ring is mapped while the reader lives"));
        var poll = Task.Run(() => reader.Poll(Timeout.InfiniteTimeSpan, _ => { }));
        Thread.Sleep(150);
        Assert.False(poll.IsCompleted);
        reader.Dispose();
        Assert.True(poll.Wait(TimeSpan.FromSeconds(3)), "Dispose wakes a blocked Poll");
        Assert.Equal(0, poll.Result);
        Assert.All(mappings, m => Assert.False(IsMapped(m.Start), "Dispose unmaps the ring"));
        Assert.Throws<ObjectDisposedException>(() => reader.Poll(TimeSpan.Zero, _ => { }));
    }

    [SkippableFact]
    public void DisposeFromInsideACallbackStopsCleanly()
    {
        var (obj, link) = Start();
        using var _ = obj;
        using var __ = link;
        var reader = new RingBufferReader(obj.Map("events"));
        var mappings = reader.Mappings;
        TracingHookTests.CallGetpid(6);
        var seen = 0;
        reader.Poll(TimeSpan.FromSeconds(2), _ =>
        {
            seen++;
            reader.Dispose();
        });
        Assert.Equal(1, seen);
        Assert.All(mappings, m => Assert.False(IsMapped(m.Start)));
    }

    [SkippableFact]
    public void RejectsMapsThatAreNotRingBuffers()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject("hook_tracepoint_getpid.c");
        var e = Assert.Throws<BpfHookSpecException>(() => new RingBufferReader(obj.Map("counts")));
        Assert.Contains("not a ring buffer", e.Message);
    }

    /// <summary>Whether some mapping of this process starts at <paramref name="address"/>.</summary>
    internal static bool IsMapped(nint address)
    {
        var hex = ((long)address).ToString("x", CultureInfo.InvariantCulture);
        return File.ReadLines("/proc/self/maps").Any(l => l.StartsWith(hex + "-", StringComparison.Ordinal));
    }
}
