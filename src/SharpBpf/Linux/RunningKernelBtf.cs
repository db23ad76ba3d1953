using SharpBpf.Btf;

namespace SharpBpf.Linux;

/// <summary>The running kernel's own BTF (<c>/sys/kernel/btf/vmlinux</c>), parsed once per process: the default CO-RE target.</summary>
public static class RunningKernelBtf
{
    public const string VmlinuxPath = "/sys/kernel/btf/vmlinux";

    private static readonly Lazy<BtfSpec> Lazy = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The parsed vmlinux BTF (types decode lazily, so holding it is cheap).</summary>
    /// <exception cref="BpfException">the kernel exposes no BTF (built without CONFIG_DEBUG_INFO_BTF) or it cannot be read.</exception>
    public static BtfSpec Vmlinux => Lazy.Value;

    private static BtfSpec Load()
    {
        try
        {
            return BtfSpec.LoadFile(VmlinuxPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BpfException($"cannot read the running kernel's BTF at {VmlinuxPath} ({e.Message}); CO-RE relocations need it " +
                "(a kernel built with CONFIG_DEBUG_INFO_BTF), or give the target BTF explicitly (KernelEngineOptions.TargetBtf)");
        }
    }
}
