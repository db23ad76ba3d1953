using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Vm;

/// <summary>A short seeded run of the sandbox fuzzer (fuzz/SharpBpf.Fuzz; the long run is fuzz/run-long.sh): random programs
/// through both engines and mutated objects through every CLI command, in child processes. Any finding fails.</summary>
public class FuzzSmokeTests
{
    [Fact]
    public void AShortSeededRunFindsNothing()
    {
        var seeds = Directory.CreateTempSubdirectory("sharpbpf-fuzz-smoke-");
        try
        {
            foreach (var program in new[] { "vm_features.c", "xdp_pass.c", "loops.c" })
                File.Copy(TestPrograms.Compile(program), Path.Combine(seeds.FullName, Path.ChangeExtension(program, ".o")));
            var (exit, output, errors) = TestPrograms.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "SharpBpf.Fuzz.dll"), "run",
                "--programs", "150", "--files", "12", "--seed", "13", "--seeds", seeds.FullName, "--timeout", "120"]);
            Assert.True(exit == 0, output + errors);
            Assert.Contains("programs: 150 run", output);
            Assert.Contains("files: 12 run", output);
        }
        finally
        {
            seeds.Delete(recursive: true);
        }
    }
}
