// Ring buffer consumption benchmark: SharpBpf's RingBufferReader against libbpf's ring_buffer__poll (consumer.c), on
// the same producer (producer.bpf.c: one 64-byte record per getpid() of a tight loop in another process,
// getpid_loop.c) in the same run, rounds interleaved. Prints per round and in total: records written, consumed,
// dropped (ring full), events/s consumed, and the ratio. Run it through compare.sh, which builds the parts.
//
//   RingBench PRODUCER.o CONSUMER LOOP [--rounds N] [--seconds S]
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using SharpBpf;
using SharpBpf.Linux;
using SharpBpf.Linux.Attach;
using SharpBpf.Linux.Events;
using SharpBpf.Maps;
using SharpBpf.Objects;

var positional = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !args[i - 1].StartsWith("--", StringComparison.Ordinal))).ToArray();
if (positional.Length != 3)
{
    Console.Error.WriteLine("usage: RingBench PRODUCER.o CONSUMER LOOP [--rounds N] [--seconds S]");
    return 2;
}
string Flag(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
int rounds = int.Parse(Flag("--rounds", "3"), CultureInfo.InvariantCulture);
string seconds = Flag("--seconds", "2");
var (objectPath, consumerPath, loopPath) = (positional[0], positional[1], positional[2]);

var spec = ObjectSpec.Load(objectPath);
using var loaded = new KernelEngine().Load(spec);
using var link = AutoAttach.Attach(loaded.Programs["produce"], spec.Programs.Single(p => p.Name == "produce"));
var pinDir = Path.Combine(BpfFs.DefaultPath, $"sharpbpf-ringbench-{Environment.ProcessId}");
Directory.CreateDirectory(pinDir);
var pin = Path.Combine(pinDir, "events");
try
{
    loaded.Maps["events"].Pin(pin);
    var config = new BpfMap<uint, uint>(loaded.Maps["config"]);
    var stats = new BpfMap<uint, ulong>(loaded.Maps["stats"]);
    using var reader = new RingBufferReader(loaded.Maps["events"]);
    Console.WriteLine($"ring buffer {reader.Size / 1024} KiB, 64-byte records from {link.Description}, {rounds} rounds of {seconds}s per consumer, interleaved");
    Console.WriteLine($"{"round",5} {"consumer",-10} {"getpid calls",12} {"written",10} {"consumed",10} {"dropped",8} {"events/s",11}");
    var totals = new Dictionary<string, (ulong Consumed, ulong Dropped, double Seconds, bool Complete)>
    {
        ["libbpf"] = (0, 0, 0, true), ["SharpBpf"] = (0, 0, 0, true),
    };
    // Drops: records the producer could not reserve because the consumer had not freed the space yet.
    // One short unreported round each first: the JIT's tiers and the page faults of the ring are not what we measure.
    foreach (var consumer in new[] { "libbpf", "SharpBpf" })
        Round(consumer, "0.5");
    for (int round = 1; round <= rounds; round++)
        foreach (var consumer in round % 2 == 1 ? new[] { "libbpf", "SharpBpf" } : ["SharpBpf", "libbpf"])
        {
            var (calls, written, consumed, dropped, elapsed, complete) = Round(consumer, seconds);
            var t = totals[consumer];
            totals[consumer] = (t.Consumed + consumed, t.Dropped + dropped, t.Seconds + elapsed, t.Complete && complete);
            Console.WriteLine($"{round,5} {consumer,-10} {calls,12} {written,10} {consumed,10} {dropped,8} {consumed / elapsed,11:N0}{(complete ? "" : "  INCOMPLETE")}");
        }

    Console.WriteLine();
    foreach (var (name, t) in totals)
        Console.WriteLine($"{name,-10} {t.Consumed / t.Seconds,11:N0} events/s, {t.Dropped} dropped ({100.0 * t.Dropped / Math.Max(1, t.Dropped + t.Consumed):0.0}% of the records produced){(t.Complete ? "" : ", SOME RECORDS LOST OR DUPLICATED")}");
    var ratio = totals["SharpBpf"].Consumed / totals["SharpBpf"].Seconds / (totals["libbpf"].Consumed / totals["libbpf"].Seconds);
    Console.WriteLine($"ratio SharpBpf/libbpf: {ratio:0.00} (events/s)");
    return totals.Values.All(t => t.Complete) ? 0 : 1;

    (ulong Calls, ulong Written, ulong Consumed, ulong Dropped, double Seconds, bool Complete) Round(string consumer, string duration)
    {
        var scratch = new byte[256];
        while (reader.TryRead(scratch, out _)) { } // nothing left over from the previous round
        stats[0] = 0;
        stats[1] = 0;
        using var loop = Process.Start(new ProcessStartInfo(loopPath, [duration]) { RedirectStandardInput = true, RedirectStandardOutput = true })!;
        config[0] = (uint)loop.Id;
        var stop = Start(consumer);
        var watch = Stopwatch.StartNew();
        loop.StandardInput.WriteLine("go");
        var calls = ulong.Parse(loop.StandardOutput.ReadLine() ?? "0", CultureInfo.InvariantCulture);
        loop.WaitForExit();
        var elapsed = watch.Elapsed.TotalSeconds;
        var (consumed, seqSum) = stop();
        ulong written = stats[0], dropped = stats[1];
        // Every record written was consumed exactly once: the counts and the sum of sequence numbers 0..written-1 agree.
        bool complete = consumed == written && seqSum == (written == 0 ? 0 : written * (written - 1) / 2);
        return (calls, written, consumed, dropped, elapsed, complete);
    }

    // Starts a consumer; the returned function stops it after draining and returns (records, sum of their seq).
    Func<(ulong, ulong)> Start(string consumer)
    {
        if (consumer == "libbpf")
        {
            var process = Process.Start(new ProcessStartInfo(consumerPath, [pin]) { RedirectStandardOutput = true })!;
            if (process.StandardOutput.ReadLine() != "ready")
                throw new BpfException("the libbpf consumer did not start");
            return () =>
            {
                kill(process.Id, 15 /* SIGTERM: drain and report */);
                var parts = (process.StandardOutput.ReadLine() ?? "0 0").Split(' ');
                process.WaitForExit();
                process.Dispose();
                return (ulong.Parse(parts[0], CultureInfo.InvariantCulture), ulong.Parse(parts[1], CultureInfo.InvariantCulture));
            };
        }
        ulong records = 0, sum = 0;
        var stop = new CancellationTokenSource();
        var buffer = new byte[256];
        var task = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    await reader.ReadIntoAsync(buffer, stop.Token); // waits on the shared epoll thread, as ring_buffer__poll in epoll_wait
                    records++;
                    sum += MemoryMarshal.Read<ulong>(buffer);
                }
            }
            catch (OperationCanceledException)
            {
            }
            while (reader.TryRead(buffer, out _))
            {
                records++;
                sum += MemoryMarshal.Read<ulong>(buffer);
            }
        });
        return () =>
        {
            stop.Cancel();
            task.Wait();
            stop.Dispose();
            return (records, sum);
        };
    }
}
finally
{
    Directory.Delete(pinDir, recursive: true);
}

[DllImport("libc")]
static extern int kill(int pid, int signal);
