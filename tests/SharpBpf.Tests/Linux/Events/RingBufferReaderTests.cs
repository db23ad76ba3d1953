using SharpBpf.Linux;
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
        var mapped = MapsLines(reader.Mappings);
        Assert.Equal(2, mapped.Count);  // consumer page; producer page + data twice
        var poll = BlockedCall.Start(() => reader.Poll(Timeout.InfiniteTimeSpan, _ => { }));
        Assert.False(poll.IsCompleted);
        reader.Dispose();
        Assert.True(poll.Wait(TimeSpan.FromSeconds(3)), "Dispose wakes a blocked Poll");
        Assert.Equal(0, poll.Result);
        AssertUnmapped(mapped);
        Assert.Throws<ObjectDisposedException>(() => reader.Poll(TimeSpan.Zero, _ => { }));
    }

    [SkippableFact]
    public void DisposeFromInsideACallbackStopsCleanly()
    {
        var (obj, link) = Start();
        using var _ = obj;
        using var __ = link;
        var reader = new RingBufferReader(obj.Map("events"));
        var mapped = MapsLines(reader.Mappings);
        TracingHookTests.CallGetpid(6);
        var seen = 0;
        reader.Poll(TimeSpan.FromSeconds(2), _ =>
        {
            seen++;
            reader.Dispose();
        });
        Assert.Equal(1, seen);
        AssertUnmapped(mapped);
    }

    [SkippableFact]
    public void RejectsMapsThatAreNotRingBuffers()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject("hook_tracepoint_getpid.c");
        var e = Assert.Throws<BpfHookSpecException>(() => new RingBufferReader(obj.Map("counts")));
        Assert.Contains("not a ring buffer", e.Message);
    }

    /// <summary>The /proc/self/maps lines of the given mappings (start, end, flags, offset, device, inode, name).</summary>
    internal static List<string> MapsLines((nint Start, long Length)[] mappings)
    {
        var wanted = mappings.Select(m => $"{(long)m.Start:x}-{(long)m.Start + m.Length:x} ").ToArray();
        return File.ReadLines("/proc/self/maps").Where(l => wanted.Any(w => l.StartsWith(w, StringComparison.Ordinal))).ToList();
    }

    /// <summary>
    /// Asserts that none of the exact mappings seen while the reader lived is still there (tests running in parallel
    /// may map something else at a freed address; the full line tells them apart).
    /// </summary>
    internal static void AssertUnmapped(List<string> before) =>
        Assert.Empty(File.ReadLines("/proc/self/maps").Intersect(before));
}
