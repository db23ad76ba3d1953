using System.CommandLine;
using System.Diagnostics;
using SharpBpf.Cli.Bpftool;
using SharpBpf.Linux.Events;
using SharpBpf.Text;

namespace SharpBpf.Cli;

/// <summary>
/// <c>sharpbpf map event_pipe MAP</c>: prints what programs send to a perf event array (bpf_perf_event_output), one ring per
/// online CPU at the CPU's index, until interrupted (Ctrl-C) or stdout closes, as bpftool prints it.
/// </summary>
internal static class MapEventPipeCommand
{
    private const int PerfRecordSample = 9;

    public static Command AddTo(Command map)
    {
        map.Subcommands.Add(BpftoolCli.Keywords("event_pipe", "Print the records programs write to a perf event array until interrupted.", "MAP",
            (result, args, output) =>
        {
            using var m = MapCommand.OpenOne(args);
            int? cpu = null, index = null;
            while (!args.AtEnd)
            {
                if (args.TryKeyword("cpu")) cpu = ParseNumber(args.Take("CPU"), "cpu");
                else if (args.TryKeyword("index")) index = ParseNumber(args.Take("INDEX"), "index");
                else throw new ArgumentException($"map event_pipe: unknown argument '{args.Take("option")}'");
            }
            if (cpu.HasValue != index.HasValue)
                throw new ArgumentException("map event_pipe: 'cpu' and 'index' must be given together");
            var format = BpftoolCli.Format(result);
            using var stop = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = true;  // finish the output (close the JSON array) rather than die mid-record
                stop.Cancel();
            };
            Console.CancelKeyPress += onCancel; // before the rings exist: a Ctrl-C once records can flow always ends cleanly
            using var reader = cpu is { } c ? PerfEventReader.ForCpu(m, c, index!.Value) : new PerfEventReader(m);
            var json = format == OutputFormat.Plain ? null : new BpftoolJsonWriter(output, format == OutputFormat.PrettyJson);
            json?.StartArray();
            var buffer = new byte[64 * 1024]; // a perf sample's size is a u32 but the kernel caps records below 64 KiB
            try
            {
                while (true)
                {
                    var record = reader.ReadIntoAsync(buffer, stop.Token).AsTask().GetAwaiter().GetResult();
                    if (!record.IsLost)
                        Sample(output, json, record.Cpu, index ?? record.Cpu, buffer.AsSpan(0, record.Length));
                    output.Flush();
                }
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C: close the JSON array below
            }
            catch (IOException)
            {
                return;  // stdout closed (a pipe's reader went away): stop quietly as bpftool does on SIGPIPE
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
            if (json is not null)
            {
                json.EndArray();
                json.Finish();
            }
        }));
        return map;
    }

    /// <summary>One sample: bpftool's header (the sample time, here the monotonic clock's) and the bytes in hex.</summary>
    private static int ParseNumber(string text, string what) =>
        int.TryParse(text, out var n) && n >= 0 ? n : throw new ArgumentException($"map event_pipe: {what} '{text}' is not a number");

    private static void Sample(TextWriter output, BpftoolJsonWriter? json, int cpu, int index, ReadOnlySpan<byte> data)
    {
        var time = (ulong)Stopwatch.GetTimestamp() * (1_000_000_000UL / (ulong)Stopwatch.Frequency);
        if (json is null)
        {
            output.Write($"== @{time / 1_000_000_000}.{time % 1_000_000_000:D9} CPU: {cpu} index: {index} =====\n");
            output.Write(MapDump.Hex(data));
            output.Write('\n');
            return;
        }
        json.StartObject();
        json.Field("type", (ulong)PerfRecordSample);
        json.Field("cpu", (ulong)cpu);
        json.Field("index", (ulong)index);
        json.Field("timestamp", time);
        json.Name("data");
        json.StartArray();
        foreach (var b in data)
            json.Number((ulong)b);  // bpftool prints the bytes of an event as decimal numbers, not as map dump's hex strings
        json.EndArray();
        json.EndObject();
    }
}
