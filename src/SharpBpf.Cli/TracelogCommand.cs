using System.CommandLine;
using SharpBpf.Linux.Attach;
using SharpBpf.Linux.Events;

namespace SharpBpf.Cli;

/// <summary><c>sharpbpf prog tracelog</c>: streams trace_pipe (bpf_printk output) until interrupted, as bpftool does.</summary>
internal static class TracelogCommand
{
    public static Command Create()
    {
        var lines = new Option<int?>("--lines") { Description = "stop after this many lines (default: run until Ctrl-C)" };
        var timeout = new Option<double?>("--timeout") { Description = "stop after this many seconds without a line" };
        var command = new Command("tracelog", "Print bpf_trace_printk/bpf_printk output from tracefs trace_pipe.") { lines, timeout };
        command.SetAction(async (result, cancellationToken) =>
        {
            var max = result.GetValue(lines);
            var idle = result.GetValue(timeout) is { } seconds ? TimeSpan.FromSeconds(seconds) : Timeout.InfiniteTimeSpan;
            using var pipe = new TracePipe(Tracefs.Root);
            var count = 0;
            try
            {
                while (max is null || count < max)
                {
                    var line = await pipe.ReadLineAsync(idle, cancellationToken);
                    if (line is null)
                        break;
                    Console.Out.Write(line + "\n");
                    count++;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl-C: the way the command is meant to end.
            }
            await Console.Out.FlushAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }
}
