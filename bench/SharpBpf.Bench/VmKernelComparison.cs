using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using SharpBpf.Objects;
using SharpBpf.Vm;
using SharpBpf.Vm.Contexts;
using SharpBpf.Vm.Jit;

namespace SharpBpf.Bench;

/// <summary>
/// <c>vm-kernel [--rounds N] [--repeat N]</c>: the same clang-built XDP objects (bench/programs) run by the VM's interpreter,
/// the VM's JIT and the kernel's JIT (<c>bpftool prog run ... repeat N</c>), in interleaved rounds. Prints medians of ns per
/// run, net of the per-run overhead of an empty XDP program measured the same way by each engine, and the ratios.
/// Also prints the JIT's compile time per instruction. Needs root, bpffs at /sys/fs/bpf, clang-14 and bpftool.
/// </summary>
internal static partial class VmKernelComparison
{
    private static readonly string[] Workloads = ["empty", "alu_loop", "sum64", "parse_lookup"];
    private const string PinPrefix = "/sys/fs/bpf/sharpbpf_jitbench_";

    public static int Run(string[] args)
    {
        int rounds = Option(args, "--rounds", 7), repeat = Option(args, "--repeat", 200_000);
        var dir = Directory.CreateTempSubdirectory("sharpbpf_vmkernel_").FullName;
        var packet = UdpPacket();
        var packetFile = Path.Combine(dir, "packet.bin");
        File.WriteAllBytes(packetFile, packet);
        var objects = Workloads.ToDictionary(w => w, w => Compile(w, dir));
        var results = Workloads.ToDictionary(w => w, _ => (Interp: new List<double>(), Jit: new List<double>(), Kernel: new List<double>()));
        using var interpreter = new VmEngine(new VmOptions { UseJit = false });
        using var jit = new VmEngine(new VmOptions { UseJit = true });
        var interpPrograms = Workloads.ToDictionary(w => w, w => LoadVm(interpreter, objects[w], w, packet));
        var jitPrograms = Workloads.ToDictionary(w => w, w => LoadVm(jit, objects[w], w, packet));
        try
        {
            foreach (var w in Workloads)
                LoadKernel(objects[w], w, packet);
            Console.WriteLine("JIT compile time (emit IL + RyuJIT on first run):");
            foreach (var w in Workloads)
                ReportCompileTime(w, objects[w], packet);
            for (int round = 0; round < rounds; round++)
            {
                foreach (var w in Workloads)
                {
                    int n = w == "alu_loop" ? repeat / 20 : repeat; // about the same time per engine and round
                    results[w].Kernel.Add(KernelRun(w, packetFile, n));
                    results[w].Interp.Add(VmRun(interpPrograms[w], packet, w == "alu_loop" ? n / 10 : n, jitOn: false));
                    results[w].Jit.Add(VmRun(jitPrograms[w], packet, n, jitOn: true));
                }
                Console.Error.Write($"\rround {round + 1}/{rounds}");
            }
            Console.Error.WriteLine();
        }
        finally
        {
            foreach (var w in Workloads)
                File.Delete(PinPrefix + w);
            if (Directory.Exists(PinPrefix + "maps"))
                Directory.Delete(PinPrefix + "maps", recursive: true);
            Directory.Delete(dir, recursive: true);
        }

        double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        var e = results["empty"];
        double eI = Median(e.Interp), eJ = Median(e.Jit), eK = Median(e.Kernel);
        Console.WriteLine();
        Console.WriteLine($"ns per run, median of {rounds} interleaved rounds; net = minus the empty program's time on the same engine");
        Console.WriteLine($"(empty program: interpreter {eI:F1} ns, JIT {eJ:F1} ns, kernel {eK:F1} ns)");
        Console.WriteLine();
        Console.WriteLine($"{"workload",-14}{"interp",10}{"JIT",10}{"kernel",10}   {"interp/kernel",14}{"JIT/kernel",12}{"interp/JIT",12}");
        foreach (var w in Workloads.Skip(1))
        {
            var r = results[w];
            double i = Median(r.Interp) - eI, j = Median(r.Jit) - eJ, k = Median(r.Kernel) - eK;
            Console.WriteLine($"{w,-14}{i,10:F1}{j,10:F1}{k,10:F1}   {i / k,14:F2}{j / k,12:F2}{i / j,12:F2}");
        }
        return 0;
    }

    internal static int Option(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    internal static string Compile(string workload, string dir)
    {
        var source = Path.Combine(ProgramsDir(), workload + ".c");
        var output = Path.Combine(dir, workload + ".o");
        var (exit, _, err) = Exec("clang-14", "-target", "bpfel", "-mcpu=v3", "-O2", "-g", "-I/usr/include/x86_64-linux-gnu", "-c", source, "-o", output);
        if (exit != 0)
            throw new InvalidOperationException($"clang-14 failed on {source}: {err}");
        return output;
    }

    private static string ProgramsDir()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !Directory.Exists(Path.Combine(dir, "bench", "programs")))
            dir = Path.GetDirectoryName(dir);
        return dir is null ? throw new InvalidOperationException("bench/programs not found above " + AppContext.BaseDirectory)
            : Path.Combine(dir, "bench", "programs");
    }

    /// <summary>The flow key parse_lookup finds for <see cref="UdpPacket"/>: daddr, dport, padding.</summary>
    private static byte[] FlowKey(byte[] packet)
    {
        var key = new byte[8];
        packet.AsSpan(30, 4).CopyTo(key);
        packet.AsSpan(36, 2).CopyTo(key.AsSpan(4));
        return key;
    }

    internal static VmProgram LoadVm(VmEngine engine, string obj, string workload, byte[] packet)
    {
        var collection = engine.Load(ObjectSpec.Load(obj));
        if (workload == "parse_lookup")
            collection.Map("flows").Update(FlowKey(packet), new byte[8]);
        var program = collection.Program(workload);
        ulong expected = workload == "parse_lookup" ? 3u : 2u;
        if (program.RunOnPacket(packet) != expected)
            throw new InvalidOperationException($"{workload} returned an unexpected value in the VM");
        return program;
    }

    private static void LoadKernel(string obj, string workload, byte[] packet)
    {
        File.Delete(PinPrefix + workload);
        var args = new List<string> { "prog", "load", obj, PinPrefix + workload, "type", "xdp" };
        if (workload == "parse_lookup")
        {
            if (Directory.Exists(PinPrefix + "maps"))
                Directory.Delete(PinPrefix + "maps", recursive: true);
            args.AddRange(["pinmaps", PinPrefix + "maps"]);
        }
        var (exit, _, err) = Exec("bpftool", [.. args]);
        if (exit != 0)
            throw new InvalidOperationException($"bpftool prog load {workload} failed: {err}");
        if (workload == "parse_lookup")
        {
            var update = new List<string> { "map", "update", "pinned", PinPrefix + "maps/flows", "key", "hex" };
            update.AddRange(FlowKey(packet).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
            update.AddRange(["value", "hex", "0", "0", "0", "0", "0", "0", "0", "0"]);
            (exit, _, err) = Exec("bpftool", [.. update]);
            if (exit != 0)
                throw new InvalidOperationException($"bpftool map update failed: {err}");
        }
    }

    [GeneratedRegex(@"Return value: (\d+), duration \(average\): (\d+)ns")]
    internal static partial Regex KernelResult();

    private static double KernelRun(string workload, string packetFile, int repeat)
    {
        var (exit, stdout, err) = Exec("bpftool", "prog", "run", "pinned", PinPrefix + workload, "data_in", packetFile,
            "repeat", repeat.ToString(CultureInfo.InvariantCulture));
        var m = KernelResult().Match(stdout);
        if (exit != 0 || !m.Success)
            throw new InvalidOperationException($"bpftool prog run {workload} failed: {stdout} {err}");
        return double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>ns per run of the program alone: the context is set up once, then the program runs <paramref name="repeat"/> times.</summary>
    internal static unsafe double VmRun(VmProgram program, byte[] packet, int repeat, bool jitOn)
    {
        var cx = program.Engine.Rent();
        try
        {
            cx.Reset(program);
            var (r1, r2) = VmContexts.For(program.Type).SetupPacket(cx, packet);
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < repeat; i++)
            {
                cx.Budget = VmOptions.DefaultInstructionBudget;
                if (jitOn)
                    JitExecutor.Run(cx, r1, r2);
                else
                    Interpreter.Run(cx, r1, r2);
            }
            return Stopwatch.GetElapsedTime(start).TotalNanoseconds / repeat;
        }
        finally
        {
            program.Engine.Return(cx);
        }
    }

    private static void ReportCompileTime(string workload, string obj, byte[] packet)
    {
        using var engine = new VmEngine(new VmOptions { UseJit = true });
        var collection = engine.Load(ObjectSpec.Load(obj));
        if (workload == "parse_lookup")
            collection.Map("flows").Update(FlowKey(packet), new byte[8]);
        var program = collection.Program(workload);
        int n = program.Instructions.Count;
        long start = Stopwatch.GetTimestamp();
        var compiled = JitExecutor.Compile(program.Code);
        double emit = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        start = Stopwatch.GetTimestamp();
        program.RunOnPacket(packet);
        double first = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        start = Stopwatch.GetTimestamp();
        program.RunOnPacket(packet);
        double second = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        double total = emit + first - second;
        Console.WriteLine($"  {workload,-14}{n,4} insns: emit {emit,8:F0} us + RyuJIT {first - second,8:F0} us = {total / n,7:F1} us per instruction"
            + (compiled.Error is null ? "" : $" (compile FAILED: {compiled.Error.Message})"));
    }

    internal static (int Exit, string Stdout, string Stderr) Exec(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr);
    }

    internal static byte[] UdpPacket()
    {
        var p = new byte[64];
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(12), 0x0800);
        p[14] = 0x45; p[22] = 64; p[23] = 17;
        p[26] = 10; p[29] = 1; p[30] = 10; p[33] = 2;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(36), 53);
        return p;
    }
}
