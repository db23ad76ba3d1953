using System.Diagnostics;
using System.Globalization;
using SharpBpf.Objects;
using SharpBpf.Vm;

namespace SharpBpf.Bench;

/// <summary>
/// What <see cref="VmOptions.VerifyBeforeLoad"/> adds to loading an object into the VM (maps, linking, decoding, and the
/// static verifier), alternating loads with and without it; medians.
/// Run: dotnet SharpBpf.Bench.dll vm-load OBJECT.o [ROUNDS]
/// </summary>
internal static class VmLoadCost
{
    public static int Run(string[] args)
    {
        string path = args[0];
        int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 51;
        var with = new List<double>();
        var without = new List<double>();
        for (int r = -5; r < rounds; r++) // five warm-up rounds
        {
            foreach (bool verify in new[] { true, false })
            {
                var obj = ObjectSpec.Load(path);
                long start = Stopwatch.GetTimestamp();
                using (var engine = new VmEngine(new VmOptions { VerifyBeforeLoad = verify, UseJit = false }))
                    engine.Load(obj);
                double us = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
                if (r >= 0)
                    (verify ? with : without).Add(us);
            }
        }
        double a = VerifierKernelComparison.Median(with), b = VerifierKernelComparison.Median(without);
        Console.WriteLine($"{Path.GetFileName(path)}: VmEngine.Load median {b:F0} us unverified, {a:F0} us verified (+{a - b:F0} us), {rounds} rounds");
        return 0;
    }
}
