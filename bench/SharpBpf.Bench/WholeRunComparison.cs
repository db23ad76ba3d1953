using SharpBpf;
using System.Diagnostics;
using System.Globalization;
using SharpBpf.Linux;
using SharpBpf.Maps;
using SharpBpf.Objects;
using SharpBpf.Vm;

namespace SharpBpf.Bench;

/// <summary>
/// <c>whole-run [--rounds N] [--sizes N,N,...]</c>: the whole <c>prog run --repeat N</c> path of the VM (JIT and interpreter:
/// <see cref="VmProgram.Run(RunInput)"/>, which prog run calls: the duration it reports and its wall time) against the kernel's (<c>bpftool prog run ... repeat N</c>,
/// the duration test_run reports) on the bench/programs/whole_*.c programs with the same 64-byte UDP packet and the same map
/// contents. Nothing is subtracted on either side. Interleaved rounds, medians. Needs root, bpffs, clang-14 and bpftool.
/// </summary>
internal static class WholeRunComparison
{
    private const string PinPrefix = "/sys/fs/bpf/sharpbpf_i12_whole_";

    /// <summary>A benchmark program and the map contents both engines start from.</summary>
    private sealed record Workload(string Name, Action<Func<string, IBpfMap>> Seed);

    private static readonly Workload[] Workloads =
    [
        new("whole_parse", map => map("port_hits").Update(BitConverter.GetBytes((ushort)0x3500), new byte[8])), // port 53, network order
        new("whole_alu", _ => { }),
        new("whole_ddos", map =>
        {
            var blacklist = map("blacklist");
            for (int i = 0; i < 1000; i++)
                blacklist.Update([192, 168, (byte)(i >> 8), (byte)i], new byte[8]); // the packet's 10.0.0.1 is not among them
        }),
        new("whole_lpm", map =>
        {
            var routes = map("routes");
            byte[] Route(byte tos) => [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, tos, 0, 0, 0];
            routes.Update([8, 0, 0, 0, 10, 0, 0, 0], Route(1));
            routes.Update([24, 0, 0, 0, 10, 0, 0, 0], Route(2)); // the packet's 10.0.0.2
            routes.Update([16, 0, 0, 0, 192, 168, 0, 0], Route(3));
        }),
    ];

    public static int Run(string[] args)
    {
        int rounds = VmKernelComparison.Option(args, "--rounds", 3);
        int at = Array.IndexOf(args, "--sizes");
        int[] sizes = at >= 0 ? [.. args[at + 1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))] : [100_000, 1_000_000, 10_000_000];
        var dir = Directory.CreateTempSubdirectory("sharpbpf_wholerun_").FullName;
        var packet = VmKernelComparison.UdpPacket();
        var packetFile = Path.Combine(dir, "packet.bin");
        File.WriteAllBytes(packetFile, packet);
        using var jitEngine = new VmEngine(new VmOptions { UseJit = true });
        using var interpEngine = new VmEngine(new VmOptions { UseJit = false });
        var engines = new[] { ("JIT", jitEngine), ("interp", interpEngine) };
        var times = new Dictionary<(string Program, int N, string Engine), List<double>>();
        var programs = new Dictionary<(string, string), VmProgram>();
        try
        {
            foreach (var w in Workloads)
            {
                var obj = VmKernelComparison.Compile(w.Name, dir);
                foreach (var (name, engine) in engines)
                {
                    var collection = engine.Load(ObjectSpec.Load(obj));
                    w.Seed(m => collection.Map(m));
                    programs[(w.Name, name)] = collection.Program(w.Name);
                }
                LoadKernel(w, obj);
            }
            for (int round = 0; round < rounds; round++)
            {
                foreach (int n in sizes)
                {
                    foreach (var w in Workloads)
                    {
                        Add(times, (w.Name, n, "kernel"), KernelRun(w.Name, packetFile, n));
                        foreach (var (name, _) in engines)
                        {
                            var (wall, reported) = VmRun(programs[(w.Name, name)], packet, n);
                            Add(times, (w.Name, n, name), wall);
                            Add(times, (w.Name, n, name + " reported"), reported);
                        }
                    }
                }
                Console.Error.Write($"\rround {round + 1}/{rounds}");
            }
            Console.Error.WriteLine();
        }
        finally
        {
            foreach (var w in Workloads)
            {
                File.Delete(PinPrefix + w.Name);
                if (Directory.Exists(PinPrefix + w.Name + "_maps"))
                    Directory.Delete(PinPrefix + w.Name + "_maps", recursive: true);
            }
            Directory.Delete(dir, recursive: true);
        }

        Console.WriteLine($"ns per run of the whole prog run --repeat N path, nothing subtracted, median of {rounds} interleaved rounds.");
        Console.WriteLine("reported: the duration each engine reports (kernel: test_run's; VM: prog run's, thread CPU time of the batch);");
        Console.WriteLine("wall: wall time of the VM's whole VmProgram.Run call / N (includes time waiting for a CPU on a busy machine).");
        Console.WriteLine($"{"program",-13}{"N",10}{"JIT",7}{"interp",8}{"kernel",8}{"JIT/k",7}{"interp/k",9}{"JIT wall",10}{"interp wall",12}");
        foreach (var w in Workloads)
        {
            foreach (int n in sizes)
            {
                double Of(string engine) => Median(times[(w.Name, n, engine)]);
                double j = Of("JIT reported"), i = Of("interp reported"), k = Of("kernel");
                Console.WriteLine($"{w.Name,-13}{n,10}{j,7:F0}{i,8:F0}{k,8:F0}{j / k,7:F2}{i / k,9:F2}{Of("JIT"),10:F0}{Of("interp"),12:F0}");
            }
        }
        return 0;
    }

    private static void Add(Dictionary<(string, int, string), List<double>> times, (string, int, string) key, double value)
    {
        if (!times.TryGetValue(key, out var list))
            times[key] = list = [];
        list.Add(value);
    }

    private static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);

    private static void LoadKernel(Workload w, string obj)
    {
        string pin = PinPrefix + w.Name, maps = pin + "_maps";
        File.Delete(pin);
        if (Directory.Exists(maps))
            Directory.Delete(maps, recursive: true);
        var (exit, _, err) = VmKernelComparison.Exec("bpftool", "prog", "load", obj, pin, "type", "xdp", "pinmaps", maps);
        if (exit != 0)
            throw new InvalidOperationException($"bpftool prog load {w.Name} failed: {err}");
        var opened = new List<KernelMap>();
        try
        {
            w.Seed(name =>
            {
                var map = KernelMap.OpenPinned(Path.Combine(maps, name));
                opened.Add(map);
                return map;
            });
        }
        finally
        {
            opened.ForEach(m => m.Dispose());
        }
    }

    /// <summary>Per run: the wall time of the whole <see cref="VmProgram.Run(RunInput)"/> call (context set-up, runs, results)
    /// and the duration it reports (thread CPU time of the batch, as prog run prints it).</summary>
    private static (double Wall, double Reported) VmRun(VmProgram program, byte[] packet, int repeat)
    {
        long start = Stopwatch.GetTimestamp();
        var result = program.Run(new RunInput { Data = packet, Repeat = repeat });
        return (Stopwatch.GetElapsedTime(start).TotalNanoseconds / repeat, result.DurationNs);
    }

    private static double KernelRun(string name, string packetFile, int repeat)
    {
        var (exit, stdout, err) = VmKernelComparison.Exec("bpftool", "prog", "run", "pinned", PinPrefix + name, "data_in", packetFile,
            "repeat", repeat.ToString(CultureInfo.InvariantCulture));
        var m = VmKernelComparison.KernelResult().Match(stdout);
        if (exit != 0 || !m.Success)
            throw new InvalidOperationException($"bpftool prog run {name} failed: {stdout} {err}");
        return double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
    }
}
