using SharpBpf.Linux;
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

    [SkippableFact]
    public unsafe void KernelMapMemory_SharesValuesWithTheSyscallsAndRefusesWhatCannotBeMapped()
    {
        Requirements.Kernel();
        using var array = KernelMap.Create("skel_mmap_test", BpfMapType.Array, 4, 12, 3, flags: 1u << 10);
        using (var memory = KernelMapMemory.Map(array))
        {
            Assert.True(memory.Length >= 3 * 16);
            *(uint*)(memory.Address + 16 + 8) = 0xfeedbeef;             // element 1, byte 8 (elements are 16 bytes apart)
            var value = new byte[12];
            Assert.True(array.TryLookup(BitConverter.GetBytes(1u), value));
            Assert.Equal(0xfeedbeefu, BitConverter.ToUInt32(value, 8));
            array.Update(BitConverter.GetBytes(2u), new byte[] { 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 });
            Assert.Equal(7, memory.Address[32]);
        }

        using var hash = KernelMap.Create("skel_mmap_hash", BpfMapType.Hash, 4, 4, 4);
        Assert.Contains("BPF_F_MMAPABLE", Assert.Throws<BpfException>(() => KernelMapMemory.Map(hash)).Message);
        using var plain = KernelMap.Create("skel_mmap_plain", BpfMapType.Array, 4, 4, 4);
        Assert.Throws<BpfException>(() => KernelMapMemory.Map(plain));

        array.Freeze();
        var frozen = Assert.Throws<BpfException>(() => KernelMapMemory.Map(array, writable: true));
        Assert.Contains("read-only", frozen.Message);
        using var readOnly = KernelMapMemory.Map(array, writable: false);
        Assert.Equal(0xfeedbeefu, *(uint*)(readOnly.Address + 24));
    }
}
