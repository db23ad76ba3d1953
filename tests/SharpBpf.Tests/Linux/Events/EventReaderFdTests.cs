using SharpBpf.Linux.Attach;
using SharpBpf.Linux.Events;
using SharpBpf.Tests.Events;
using SharpBpf.Tests.Linux;
using SharpBpf.Tests.Linux.Attach;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux.Events;

/// <summary>Runs alone (it counts the process's fds): readers opened and disposed, also mid-wait, leave no descriptor behind.</summary>
[Collection(nameof(FdCounting))]
public class EventReaderFdTests
{
    [SkippableFact]
    public async Task ReadersReleaseEveryDescriptor()
    {
        Requirements.Kernel();
        using var ringObject = new LoadedObject(EventSource.RingProgram);
        using var perfObject = new LoadedObject(EventSource.PerfProgram);
        // Warm up: the shared epoll loop keeps its one descriptor for the life of the process.
        new RingBufferReader(ringObject.Map("events")).Dispose();
        var tracefs = Tracefs.Root;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = Directory.GetFiles("/proc/self/fd").Length;
        for (var i = 0; i < 50; i++)
        {
            var ring = new RingBufferReader(ringObject.Map("events"));
            var perf = new PerfEventReader(perfObject.Map("events"));
            var pipe = new TracePipe(tracefs);  // not read: trace_pipe is machine-wide, lines read here are gone for others
            var waiting = new[] { ring.ReadIntoAsync(new byte[64]).AsTask(), perf.ReadIntoAsync(new byte[64]).AsTask() };
            ring.Dispose();
            perf.Dispose();
            pipe.Dispose();
            foreach (var task in waiting)
                await Assert.ThrowsAsync<ObjectDisposedException>(() => task);
        }
        Assert.Equal(before, Directory.GetFiles("/proc/self/fd").Length);
    }
}
