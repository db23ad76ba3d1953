using SharpBpf.Linux.Attach;
using SharpBpf.Linux.Events;
using SharpBpf.Tests.Linux.Attach;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux.Events;

/// <summary>trace_pipe is one machine-wide stream consumed by reading: its readers live in this one class so they never run in parallel.</summary>
public class TracePipeTests
{
    [SkippableFact]
    public void TracelogPrintsBpfPrintkLines()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject("hook_perf_output.c");
        obj.WriteU64("config", 0, (ulong)TracingHookTests.gettid());
        using var link = AutoAttach.Attach(obj.Program("printk_getppid"), obj.ProgramSpec("printk_getppid"));
        var cli = Task.Run(() => SharpBpfCli.Run("prog", "tracelog", "--timeout", "4"));
        var marker = $"sharpbpf-tracelog {TracingHookTests.gettid()}";
        // Keep producing until the CLI (which needs a moment to start) has seen some.
        for (var i = 0; i < 40 && !cli.IsCompleted; i++)
        {
            TracingHookTests.getppid();
            Thread.Sleep(100);
        }
        var (code, stdout, stderr) = cli.Result;
        Assert.True(code == 0, stderr);
        Assert.Contains(marker, stdout);
    }

    [SkippableFact]
    public void ReadsBpfPrintkLines()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject("hook_perf_output.c");
        obj.WriteU64("config", 0, (ulong)TracingHookTests.gettid());
        using var pipe = new TracePipe(Tracefs.Root);
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
    public async Task DisposeEndsAWaitingRead()
    {
        Requirements.Kernel();
        var pipe = new TracePipe(Tracefs.Root);
        var read = pipe.ReadLineAsync(Timeout.InfiniteTimeSpan).AsTask();
        pipe.Dispose();
        // Ends at once: ObjectDisposedException, or a line some other tracer printed just before (trace_pipe is machine-wide).
        try
        {
            Assert.NotNull(await read.WaitAsync(TimeSpan.FromSeconds(30)));
        }
        catch (ObjectDisposedException)
        {
        }
        Assert.Throws<ObjectDisposedException>(() => pipe.ReadLine(TimeSpan.Zero));
    }

    [SkippableFact]
    public async Task CancellationThrows()
    {
        Requirements.Kernel();
        using var pipe = new TracePipe(Tracefs.Root);
        using var cts = new CancellationTokenSource();
        var read = pipe.ReadLineAsync(Timeout.InfiniteTimeSpan, cts.Token).AsTask();
        cts.Cancel();
        try
        {
            Assert.NotNull(await read.WaitAsync(TimeSpan.FromSeconds(30)));  // a line another tracer printed just before
        }
        catch (OperationCanceledException)
        {
        }
    }
}
