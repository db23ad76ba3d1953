using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Skeletons;

/// <summary>
/// The MSBuild integration end to end: builds examples/skeleton-demo (clang on probe.bpf.c, vmlinux.h from the kernel's
/// BTF, sharpbpf gen skeleton, C# compile), runs it, and checks a second build is incremental.
/// </summary>
public class SkeletonDemoBuildTests
{
    private static readonly string Project = Path.Combine(TestPrograms.RepoRoot, "examples", "skeleton-demo", "SkeletonDemo.csproj");
    private static readonly string Configuration =
        AppContext.BaseDirectory.TrimEnd('/').EndsWith("debug", StringComparison.OrdinalIgnoreCase) ? "Debug" : "Release";
    // Its own folder for the BPF object, vmlinux.h and skeleton, so the test starts from nothing.
    private static readonly string BpfDir = Path.Combine(TestPrograms.RepoRoot, "artifacts", "skeleton-demo-test", Configuration.ToLowerInvariant(), "bpf");
    private static readonly bool WithVmlinux = File.Exists("/sys/kernel/btf/vmlinux");
    private static readonly Lazy<string> Built = new(BuildFromScratch);

    private const string ExpectedFrames = """
        frame 0800   64 bytes: pass
        frame 0800  128 bytes: pass
        frame 86dd   90 bytes: pass
        frame 0806   42 bytes: drop
        frame 0800 1514 bytes: pass
        totals: packets=4 bytes=1796 largest=1514 dropped=1
        ethertype 0800: 3
        ethertype 86dd: 1

        """;

    /// <summary>Deletes the generated files and builds the demo.</summary>
    private static string BuildFromScratch()
    {
        if (Directory.Exists(BpfDir))
            Directory.Delete(BpfDir, recursive: true);
        var dll = Build();
        Assert.True(File.Exists(Path.Combine(BpfDir, "probe.bpf.o")), "clang produced no object");
        var skeleton = File.ReadAllText(Path.Combine(BpfDir, "probe.bpf.g.cs"));
        Assert.Contains("public sealed partial class ProbeSkeleton : global::SharpBpf.Skeletons.BpfSkeleton", skeleton);
        Assert.Contains("namespace SkeletonDemo;", skeleton);
        if (WithVmlinux)
            Assert.Contains("struct task_struct {", File.ReadAllText(Path.Combine(BpfDir, "vmlinux.h")));
        return dll;
    }

    /// <summary>Builds the demo alone (the library and CLI are built with the tests); returns its TargetPath.</summary>
    private static string Build()
    {
        var (code, stdout, stderr) = TestPrograms.Run("dotnet",
            ["build", Project, "-c", Configuration, "--no-dependencies", "-nologo", "-v:q", "-t:Build", "-getProperty:TargetPath",
             $"-p:BpfGenerateVmlinuxHeader={WithVmlinux}", $"-p:BpfOutputPath={BpfDir}/"]);
        Assert.True(code == 0, $"dotnet build of the demo failed:\n{stdout}\n{stderr}");
        var dll = stdout.Trim().Split('\n').Last().Trim();
        Assert.True(File.Exists(dll), $"the demo build reported TargetPath '{dll}', which does not exist");
        return dll;
    }

    [Fact]
    public void Demo_BuildsRunsInVmAndRebuildsIncrementally()
    {
        var dll = Built.Value;
        var (code, stdout, stderr) = TestPrograms.Run("dotnet", [dll]);
        Assert.True(code == 0, stderr);
        Assert.Equal("loaded probe into the vm: count_frames (xdp, vm)\n" + ExpectedFrames.ReplaceLineEndings("\n"), stdout);

        var obj = Path.Combine(BpfDir, "probe.bpf.o");
        var generated = Path.Combine(BpfDir, "probe.bpf.g.cs");
        var (objTime, skeletonTime) = (File.GetLastWriteTimeUtc(obj), File.GetLastWriteTimeUtc(generated));
        Build();
        Assert.Equal(objTime, File.GetLastWriteTimeUtc(obj));
        Assert.Equal(skeletonTime, File.GetLastWriteTimeUtc(generated));
    }

    [SkippableFact]
    public void Demo_RunsInKernel()
    {
        Requirements.Kernel();
        var (code, stdout, stderr) = TestPrograms.Run("dotnet", [Built.Value, "--kernel"]);
        Assert.True(code == 0, stderr);
        Assert.Equal("loaded probe into the kernel: count_frames (xdp, kernel)\n" + ExpectedFrames.ReplaceLineEndings("\n"), stdout);
    }
}
