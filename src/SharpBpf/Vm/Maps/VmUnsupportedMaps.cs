using SharpBpf.Objects;

namespace SharpBpf.Vm.Maps;

/// <summary>Why the VM refuses a map type: each names the type and what it would need that a VM run does not have.</summary>
internal static class VmUnsupportedMaps
{
    public static string Reason(BpfMapType type) => $"map type {BpfNames.MapType(type)} is not supported by the VM: " + type switch
    {
        BpfMapType.CgroupArray => "its values are cgroup descriptors and VM runs belong to no cgroup (run it with --engine kernel)",
        BpfMapType.Sockmap or BpfMapType.Sockhash or BpfMapType.ReuseportSockarray =>
            "its values are kernel sockets, which the VM does not have (run it with --engine kernel)",
        BpfMapType.CgroupStorage or BpfMapType.PercpuCgroupStorage =>
            "cgroup storage belongs to a program attached to a cgroup, and VM runs are attached to none (run it with --engine kernel)",
        BpfMapType.SkStorage or BpfMapType.InodeStorage or BpfMapType.TaskStorage or BpfMapType.CgrpStorage =>
            "local storage hangs off kernel objects (sockets, inodes, tasks, cgroups) the VM does not have",
        BpfMapType.StructOps => "struct_ops maps implement kernel interfaces",
        BpfMapType.UserRingbuf => "user ring buffers are not implemented",
        BpfMapType.Arena => "arenas are not implemented",
        _ => "unknown to the VM",
    };
}
