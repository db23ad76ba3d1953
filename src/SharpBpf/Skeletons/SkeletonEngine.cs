namespace SharpBpf.Skeletons;

/// <summary>Where a skeleton loads its object.</summary>
public enum SkeletonEngine
{
    /// <summary>The embedded user-space VM (<see cref="Vm.VmEngine"/>): no privileges needed.</summary>
    Vm,
    /// <summary>The Linux kernel (<see cref="Linux.KernelEngine"/>): needs CAP_BPF.</summary>
    Kernel,
}
