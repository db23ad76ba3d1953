using System.Text;
using SharpBpf.Tests.Support;
using SharpBpf.Verifier;
using Xunit.Abstractions;

namespace SharpBpf.Tests.Verifier;

/// <summary>
/// The static verifier against the kernel's on generated programs: the same accept/reject decision on at least 98% of
/// them, and no program the kernel rejects accepted. SHARPBPF_VERIFIER_PROGRAMS sets how many (default 400); the report
/// (every disagreement, with both messages) goes to artifacts/verifier-agreement.txt.
/// </summary>
public sealed class GeneratedAgreementTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void StaticVerifierAgreesWithKernelOnGeneratedPrograms()
    {
        Requirements.Kernel();
        int count = int.TryParse(Environment.GetEnvironmentVariable("SHARPBPF_VERIFIER_PROGRAMS"), out int n) ? n : 400;
        using var kernel = new KernelVerdicts(GeneratedPrograms.Maps);
        int same = 0, kernelAccepted = 0;
        var unsafeAccepts = new List<string>();
        var precisionGaps = new List<string>();
        var report = new StringBuilder();
        for (int seed = 1; seed <= count; seed++)
        {
            var p = GeneratedPrograms.Generate(seed);
            var input = new VerifierInput
            {
                Name = "gen" + seed,
                Instructions = p.Instructions,
                Type = p.Type,
                MapLoads = p.MapLoads.ToDictionary(l => l.InstructionIndex, l => (GeneratedPrograms.Maps.Single(m => m.Name == l.MapName), (int?)null)),
            };
            var ours = StaticVerifier.Verify(input, new VerifierOptions { LogLevel = 0 });
            var theirs = kernel.Verdict(p.Type, p.Instructions, p.MapLoads, out _);
            if (theirs is null) kernelAccepted++;
            if (ours.Accepted == (theirs is null))
            {
                same++;
                continue;
            }
            var line = $"seed {seed} [{p.Description}]: static {(ours.Accepted ? "accepts" : "rejects: " + ours.Error)}; kernel {(theirs is null ? "accepts" : "rejects: " + theirs)}";
            (ours.Accepted ? unsafeAccepts : precisionGaps).Add(line);
        }
        report.AppendLine($"{count} generated programs: kernel accepted {kernelAccepted}; same decision {same} ({100.0 * same / count:F2}%); " +
            $"static accepts, kernel rejects: {unsafeAccepts.Count}; static rejects, kernel accepts: {precisionGaps.Count}");
        report.AppendLine("-- static accepts, kernel rejects:");
        unsafeAccepts.ForEach(l => report.AppendLine(l));
        report.AppendLine("-- static rejects, kernel accepts:");
        precisionGaps.ForEach(l => report.AppendLine(l));
        var path = Path.Combine(TestPrograms.RepoRoot, "artifacts", "verifier-agreement.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, report.ToString());
        output.WriteLine(report.ToString());
        Assert.True(unsafeAccepts.Count == 0, report.ToString());
        Assert.True(same >= count * 0.98, report.ToString());
    }
}
