using SharpBpf.Vm;

namespace SharpBpf.Bench;

/// <summary>
/// <c>jit-proofs [--rounds N] [--repeat N]</c>: the packet parsers of bench/programs on the JIT with the static verifier's
/// proofs (<see cref="VmOptions.VerifyBeforeLoad"/>, bounds checks dropped where proven) and without (every check, plus
/// the JIT's own guarded packet proofs), in interleaved rounds; medians of ns per run and the checks compiled.
/// </summary>
internal static class JitProofsComparison
{
    private static readonly string[] Workloads = ["parse_lookup", "sum64"];

    public static int Run(string[] args)
    {
        int rounds = args.Length > 1 && args[0] == "--rounds" ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 15;
        const int Repeat = 200_000;
        var dir = Directory.CreateTempSubdirectory("sharpbpf_jitproofs_").FullName;
        try
        {
            var packet = VmKernelComparison.UdpPacket();
            using var verified = new VmEngine(new VmOptions { UseJit = true });
            using var unverified = new VmEngine(new VmOptions { UseJit = true, VerifyBeforeLoad = false });
            Console.WriteLine($"{"workload",-14}{"checks verified/unverified",28}{"ns verified",14}{"ns unverified",16}{"unverified/verified",22}");
            foreach (var w in Workloads)
            {
                var obj = VmKernelComparison.Compile(w, dir);
                var programs = new[] { VmKernelComparison.LoadVm(verified, obj, w, packet), VmKernelComparison.LoadVm(unverified, obj, w, packet) };
                var times = new[] { new List<double>(), new List<double>() };
                for (int r = 0; r < rounds; r++)
                    for (int k = 0; k < 2; k++)
                        times[k].Add(VmKernelComparison.VmRun(programs[k], packet, Repeat, jitOn: true));
                double v = VerifierKernelComparison.Median(times[0]), u = VerifierKernelComparison.Median(times[1]);
                string checks = $"{programs[0].Code.Jit!.BoundsChecks}/{programs[1].Code.Jit!.BoundsChecks}";
                Console.WriteLine($"{w,-14}{checks,28}{v,14:F1}{u,16:F1}{u / v,21:F2}x");
            }
            Console.WriteLine($"medians of {rounds} interleaved rounds of {Repeat} runs on a 64-byte UDP packet");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        return 0;
    }
}
