using System.Diagnostics;
using SharpBpf.Linux;
using SharpBpf.Objects;

/// <summary>
/// Where an object load spends its time: parsing (ObjectSpec.Load) against KernelEngine.Load of an already parsed
/// spec, and thread CPU time against wall time (off-CPU = waiting for the kernel or the scheduler).
/// Run: dotnet SharpBpf.Bench.dll load-profile OBJECT.o [LOADS] [WARMUP]
/// </summary>
internal static class LoadProfile
{
    public static int Run(string[] args)
    {
        string obj = args[0];
        int loads = args.Length > 1 ? int.Parse(args[1]) : 200;
        int warmup = args.Length > 2 ? int.Parse(args[2]) : 50;
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        long f0 = Stopwatch.GetTimestamp();
        var firstSpec = ObjectSpec.Load(obj);
        long f1 = Stopwatch.GetTimestamp();
        new KernelEngine().Load(firstSpec).Dispose();
        long f2 = Stopwatch.GetTimestamp();
        Console.WriteLine($"first load: parse {Stopwatch.GetElapsedTime(f0, f1).TotalMilliseconds:F1} ms, engine {Stopwatch.GetElapsedTime(f1, f2).TotalMilliseconds:F1} ms, " +
            $"process cpu {(Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalMilliseconds:F1} ms");
        for (int i = 0; i < warmup; i++) // past tiered compilation's tier 0
            using (new KernelEngine().Load(ObjectSpec.Load(obj))) { }
        var parse = new List<double>();
        var load = new List<double>();
        var dispose = new List<double>();
        var cpu = new List<double>();
        int gen0 = GC.CollectionCount(0);
        for (int i = 0; i < loads; i++)
        {
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            long t0 = Stopwatch.GetTimestamp();
            var spec = ObjectSpec.Load(obj);
            long t1 = Stopwatch.GetTimestamp();
            var collection = new KernelEngine().Load(spec);
            long t2 = Stopwatch.GetTimestamp();
            collection.Dispose();
            long t3 = Stopwatch.GetTimestamp();
            var cpu1 = Process.GetCurrentProcess().TotalProcessorTime;
            parse.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMicroseconds);
            load.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMicroseconds);
            dispose.Add(Stopwatch.GetElapsedTime(t2, t3).TotalMicroseconds);
            cpu.Add((cpu1 - cpu0).TotalMicroseconds);
        }
        Console.WriteLine($"{Path.GetFileName(obj)}: median µs  parse {Median(parse):F0}  engine {Median(load):F0}  dispose {Median(dispose):F0}  " +
            $"process cpu {Median(cpu):F0}  gen0 GCs {GC.CollectionCount(0) - gen0} in {loads} loads");
        return 0;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
