using SharpBpf.Linux.Attach;
using SharpBpf.Linux.Events;
using SharpBpf.Tests.Linux.Attach;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux.Events;

public class TracePipeTests
{
    [SkippableFact]
    public void ReadsBpfPrintkLines()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject("hook_perf_output.c");
        obj.WriteU64("config", 0, (ulong)TracingHookTests.gettid());
        using var pipe = new TracePipe();
        using var link = AutoAttach.Attach(obj.Program("printk_getppid"), obj.ProgramSpec("printk_getppid"));
        for (var i = 0; i < 3; i++)
            TracingHookTests.getppid();
        var marker = $"sharpbpf-tracelog {TracingHookTests.gettid()}";
        var found = 0;
        var deadline = Environment.TickCount64 + 5000;
        while (found < 3 && Environment.TickCount64 < deadline)
        {
            var line = pipe.ReadLine(TimeSpan.FromMilliseconds(500));
            if (line is not null && line.Contains(marker))
                found++;
        }
        Assert.Equal(3, found);
    }

    [SkippableFact]
    public void DisposeWakesABlockedRead()
    {
        Requirements.Kernel();
        var pipe = new TracePipe();
        var read = Task.Run(() => pipe.ReadLine(Timeout.InfiniteTimeSpan));
        Thread.Sleep(100);
        pipe.Dispose();
        // Either the read was blocked and returns null, or it started after Dispose and reports the disposal.
        Assert.True(((IAsyncResult)read).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(3)));
        Assert.True(read.IsCompletedSuccessfully ? read.Result is null : read.Exception!.InnerException is ObjectDisposedException);
    }
}
