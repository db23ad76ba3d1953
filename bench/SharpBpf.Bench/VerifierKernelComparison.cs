using System.Globalization;
using System.Text.RegularExpressions;
using SharpBpf;
using SharpBpf.Isa;
using SharpBpf.Isa.Assembly;
using SharpBpf.Linux;
using SharpBpf.Objects;
using SharpBpf.Verifier;

namespace SharpBpf.Bench;

/// <summary>
/// The static verifier against the kernel's own verifier on the same programs: the largest programs of the objects given
/// (by instructions the verifier processes) and a generated program of about 100,000 processed instructions. The static
/// time is <see cref="VerificationResult.Elapsed"/> (warm, in process); the kernel's is the "verification time N usec" its
/// log prints with BPF_LOG_STATS, so neither side counts the syscall or ELF work. Rounds alternate the two, medians.
/// Run (root): dotnet SharpBpf.Bench.dll verifier-kernel [--rounds N] [--largest K] OBJECT.o...
/// </summary>
internal static partial class VerifierKernelComparison
{
    private sealed record Case(string Name, Func<VerificationResult> Static, Func<(int Processed, double Microseconds)> Kernel);

    public static int Run(string[] args)
    {
        int rounds = 11, largest = 5;
        var objects = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--largest": largest = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: objects.Add(args[i]); break;
            }
        }
        var cases = LargestObjectPrograms(objects, largest);
        cases.Add(GeneratedLoop(iterations: 12_500));
        Console.WriteLine($"{"program",-36}{"processed static/kernel",25}{"static us",12}{"kernel us",12}{"kernel/static",15}");
        foreach (var c in cases)
        {
            for (int w = 0; w < 3; w++) // past tiered compilation
                c.Static();
            var ours = new List<double>();
            var theirs = new List<double>();
            int processed = 0, kernelProcessed = 0;
            for (int r = 0; r < rounds; r++)
            {
                var result = c.Static();
                ours.Add(result.Elapsed.TotalMicroseconds);
                processed = result.ProcessedInstructions;
                (kernelProcessed, double us) = c.Kernel();
                theirs.Add(us);
            }
            double s = Median(ours), k = Median(theirs);
            Console.WriteLine($"{c.Name,-36}{$"{processed}/{kernelProcessed}",25}{s,12:F0}{k,12:F0}{k / s,14:F2}x");
        }
        Console.WriteLine($"medians of {rounds} interleaved rounds; kernel/static above 1: the static verifier is faster");
        return 0;
    }

    /// <summary>The <paramref name="count"/> programs the static verifier processes most instructions for (among those the kernel loads).</summary>
    private static List<Case> LargestObjectPrograms(List<string> objects, int count)
    {
        var sized = new List<(int Processed, Case Case)>();
        foreach (var path in objects)
        {
            foreach (var program in ObjectSpec.Load(path).Programs)
            {
                string name = program.Name;
                var obj = ObjectSpec.Load(path);
                var input = VerifierInput.From(obj, obj.FindProgram(name)!);
                var c = new Case($"{Path.GetFileNameWithoutExtension(path)}:{name}",
                    () => StaticVerifier.Verify(input, new VerifierOptions { LogLevel = 0 }),
                    () => KernelObject(path, name));
                try
                {
                    var result = c.Static();
                    if (result.Accepted)
                    {
                        c.Kernel();
                        sized.Add((result.ProcessedInstructions, c));
                    }
                }
                catch (BpfException)
                {
                    // the kernel does not load it here (a missing attach target or kernel feature): not comparable
                }
            }
        }
        return [.. sized.OrderByDescending(x => x.Processed).Take(count).Select(x => x.Case)];
    }

    private static (int, double) KernelObject(string path, string program)
    {
        var obj = ObjectSpec.Load(path);
        foreach (var map in obj.Maps)
            map.Contents.Clear();
        var spec = obj.FindProgram(program)!;
        using var loaded = new KernelEngine(new KernelEngineOptions { ShouldLoad = p => p == spec, LogLevel = 4 }).Load(obj);
        return Stats(loaded.Programs[program].VerifierLog);
    }

    /// <summary>
    /// A bounded loop whose counter the verifier knows exactly, so it walks every iteration (as both verifiers do):
    /// about eight instructions per iteration, with a branch on the counter's low bits inside.
    /// </summary>
    private static Case GeneratedLoop(int iterations)
    {
        var b = new ProgramBuilder();
        b.Mov64(Register.R0, 0).Mov64(Register.R1, 0)
            .Label("loop")
            .Add64(Register.R0, Register.R1)
            .Mov64(Register.R2, Register.R1).Alu64(AluOp.And, Register.R2, 3)
            .JumpIf(JmpOp.Jeq, Register.R2, 1, "skip")
            .Alu64(AluOp.Xor, Register.R0, 5)
            .Label("skip")
            .Add64(Register.R1, 1)
            .JumpIf(JmpOp.Jlt, Register.R1, iterations, "loop")
            .Mov64(Register.R0, 2)
            .Exit();
        var insns = b.Build();
        var input = new VerifierInput { Name = "loop", Instructions = insns, Type = BpfProgramType.Xdp };
        return new Case($"generated:loop{iterations}",
            () => StaticVerifier.Verify(input, new VerifierOptions { LogLevel = 0 }),
            () =>
            {
                using var program = KernelProgram.Load(new ProgramLoadOptions { Type = BpfProgramType.Xdp, Instructions = insns, Name = "i14_bench", LogLevel = 4 });
                return Stats(program.VerifierLog);
            });
    }

    private static (int, double) Stats(string? log)
    {
        var processed = Processed().Match(log ?? "");
        var time = Time().Match(log ?? "");
        if (!processed.Success || !time.Success)
            throw new BpfException("the kernel's log has no statistics (BPF_LOG_STATS)");
        return (int.Parse(processed.Groups[1].Value, CultureInfo.InvariantCulture), double.Parse(time.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"processed (\d+) insns")]
    private static partial Regex Processed();

    [GeneratedRegex(@"verification time (\d+) usec")]
    private static partial Regex Time();

    internal static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
