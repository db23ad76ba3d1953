using SharpBpf.Btf;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Btf;

/// <summary>Shared inputs for the BTF tests: the running kernel's BTF and clang-built objects.</summary>
internal static class BtfTestData
{
    public const string VmlinuxPath = "/sys/kernel/btf/vmlinux";
    private static readonly Lazy<byte[]> VmlinuxBytesLazy = new(() => File.ReadAllBytes(VmlinuxPath));
    private static readonly Lazy<BtfSpec> VmlinuxLazy = new(() => BtfSpec.Parse(VmlinuxBytesLazy.Value));

    public static byte[] VmlinuxBytes
    {
        get
        {
            Skip.IfNot(File.Exists(VmlinuxPath), "needs kernel BTF at " + VmlinuxPath);
            return VmlinuxBytesLazy.Value;
        }
    }

    public static BtfSpec Vmlinux
    {
        get
        {
            _ = VmlinuxBytes;
            return VmlinuxLazy.Value;
        }
    }

    /// <summary>The .BTF section of a compiled test program, extracted by llvm-objcopy (independent of our ELF lookup).</summary>
    public static byte[] ObjcopyBtf(string objectPath, string section = ".BTF")
    {
        var output = Path.Combine(Path.GetTempPath(), $"sharpbpf-btf-{Environment.ProcessId}-{Guid.NewGuid():n}.bin");
        try
        {
            var (code, _, err) = TestPrograms.Run("llvm-objcopy-14", [$"--dump-section={section}={output}", objectPath, Path.Combine(Path.GetTempPath(), $"sharpbpf-objcopy-{Guid.NewGuid():n}.o")]);
            Assert.True(code == 0, err);
            return File.ReadAllBytes(output);
        }
        finally
        {
            File.Delete(output);
        }
    }
}
