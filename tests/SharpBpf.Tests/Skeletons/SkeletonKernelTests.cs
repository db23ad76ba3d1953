using SharpBpf.Skeletons;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Skeletons;

public class SkeletonKernelTests
{
    /// <summary>The same driver as in the VM test, through the kernel engine: maps created by bpf(), .data/.bss reached
    /// through mmap of the BPF_F_MMAPABLE maps, the program run with BPF_PROG_TEST_RUN.</summary>
    [SkippableFact]
    public void RichGlobals_RunInKernel_TypedPropertiesReadAndWriteLiveValues()
    {
        Requirements.Kernel();
        var path = TestPrograms.Compile("skel_globals.c");
        var source = SkeletonGenerator.Generate(path, new SkeletonOptions { Namespace = "Gen.KernelDriver", ClassName = SkeletonDriver.ClassName });
        var assembly = SkeletonCompiler.CompileOrFail("skel_kernel_driver", source, SkeletonDriver.Source("Gen.KernelDriver"));
        var report = (string)assembly.GetType("Gen.KernelDriver.Driver")!.GetMethod("Run")!.Invoke(null, [SkeletonEngine.Kernel])!;
        Assert.Equal(SkeletonDriver.Expected.ReplaceLineEndings("\n"), report);
    }
}
