using SharpBpf.Btf;

namespace SharpBpf.Linux;

/// <summary>The running kernel's own BTF (<c>/sys/kernel/btf/vmlinux</c>), parsed once per process: the default CO-RE target.</summary>
public static class RunningKernelBtf
{
    public const string VmlinuxPath = "/sys/kernel/btf/vmlinux";

    private static readonly Lazy<BtfSpec> Lazy = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Where the kernel exposes its BTF: vmlinux and one file per module that has BTF.</summary>
    public const string Directory = "/sys/kernel/btf";

    private static readonly Lazy<IReadOnlyList<BtfSpec>> LazyModules = new(LoadModules, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The parsed vmlinux BTF (types decode lazily, so holding it is cheap).</summary>
    /// <exception cref="BpfException">the kernel exposes no BTF (built without CONFIG_DEBUG_INFO_BTF) or it cannot be read.</exception>
    public static BtfSpec Vmlinux => Lazy.Value;

    /// <summary>The BTF of every loaded kernel module that has some (split BTF over <see cref="Vmlinux"/>), parsed on first use.</summary>
    public static IReadOnlyList<BtfSpec> Modules => LazyModules.Value;

    /// <summary>The module names of <see cref="Modules"/>, index for index (the file names under <see cref="Directory"/>).</summary>
    public static IReadOnlyList<string> ModuleNames
    {
        get
        {
            _ = LazyModules.Value;
            return ModuleFileNames;
        }
    }

    private static readonly List<string> ModuleFileNames = [];

    private static IReadOnlyList<BtfSpec> LoadModules()
    {
        var modules = new List<BtfSpec>();
        string[] files;
        try
        {
            files = System.IO.Directory.GetFiles(Directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return modules;
        }
        Array.Sort(files, StringComparer.Ordinal);
        foreach (var file in files)
        {
            if (Path.GetFileName(file) == "vmlinux")
                continue;
            try
            {
                modules.Add(BtfSpec.LoadFile(file, Vmlinux));
                ModuleFileNames.Add(Path.GetFileName(file));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // a module unloaded meanwhile: no candidates from it
            }
        }
        return modules;
    }

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
