using SharpBpf.Btf;
using SharpBpf.Objects;

namespace SharpBpf.Linux;

/// <summary>
/// libbpf's <c>libbpf_find_attach_btf_id</c> for BTF-typed programs (<c>tp_btf/</c>, <c>fentry/</c>, <c>fexit/</c>,
/// <c>fmod_ret/</c>, <c>lsm/</c>, <c>iter/</c>): the kernel BTF type id the section's target names, looked up in
/// vmlinux first, then in each module's BTF (whose kernel BTF object then goes with the load).
/// </summary>
public static class AttachBtfTarget
{
    /// <summary>The attach BTF id and, for a module's type, an fd of that module's kernel BTF (the caller disposes it);
    /// null when the program's section does not take a BTF target.</summary>
    /// <exception cref="BpfException">the section names no target, or the kernel has no such type.</exception>
    public static (uint Id, BpfFd? ModuleBtf)? Resolve(ProgramSpec spec)
    {
        var def = SectionDefinitions.Find(spec.SectionName);
        if (def is null || (def.Flags & SectionFlags.AttachBtf) == 0 || spec.Type == BpfProgramType.Ext)
            return null;
        var target = spec.AttachTarget
            ?? throw new BpfException($"program '{spec.Name}': section '{spec.SectionName}' names no BTF-based attach target (as libbpf: give it after the '/')");
        var (prefix, kind) = PrefixAndKind(spec.ExpectedAttachType);
        var name = prefix + target;
        if (RunningKernelBtf.Vmlinux.FindByName(name, kind).FirstOrDefault() is var id and > 0)
            return (id, null);
        var modules = RunningKernelBtf.Modules;
        uint baseCount = (uint)RunningKernelBtf.Vmlinux.Count; // split BTF: a module's own types come after vmlinux's
        for (int i = 0; i < modules.Count; i++)
        {
            if (modules[i].FindByName(name, kind).FirstOrDefault(t => t >= baseCount) is var moduleId and > 0)
                return (moduleId, OpenKernelBtf(RunningKernelBtf.ModuleNames[i]));
        }
        throw new BpfException($"program '{spec.Name}': failed to find kernel BTF type ID of '{target}' " +
            $"(no {(kind == BtfKind.Typedef ? "typedef" : "function")} '{name}' in vmlinux or module BTF)");
    }

    /// <summary>libbpf's <c>btf_get_kernel_prefix_kind</c>.</summary>
    private static (string Prefix, BtfKind Kind) PrefixAndKind(BpfAttachType type) => type switch
    {
        BpfAttachType.TraceRawTp => ("btf_trace_", BtfKind.Typedef),
        BpfAttachType.LsmMac or BpfAttachType.LsmCgroup => ("bpf_lsm_", BtfKind.Func),
        BpfAttachType.TraceIter => ("bpf_iter_", BtfKind.Func),
        _ => ("", BtfKind.Func),
    };

    private static BpfFd OpenKernelBtf(string module)
    {
        for (uint id = BpfSyscall.GetNextId(BpfObjectKind.Btf, 0); id != 0; id = BpfSyscall.GetNextId(BpfObjectKind.Btf, id))
        {
            KernelBtf btf;
            try
            {
                btf = KernelBtf.OpenById(id);
            }
            catch (BpfSyscallException)
            {
                continue; // gone meanwhile
            }
            var info = btf.Info();
            if (info.IsKernel && info.Name == module)
                return btf.Fd;
            btf.Dispose();
        }
        throw new BpfException($"module '{module}' has BTF in {RunningKernelBtf.Directory} but no kernel BTF object of that name");
    }
}
