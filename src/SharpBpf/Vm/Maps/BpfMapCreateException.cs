using SharpBpf.Maps;
using SharpBpf.Objects;

namespace SharpBpf.Vm.Maps;

/// <summary>A map spec the kernel's BPF_MAP_CREATE would refuse: the errno it would return and why.</summary>
public sealed class BpfMapCreateException : BpfMapException
{
    public BpfMapCreateException(MapSpec spec, int errno, string reason)
        : base(spec.Name, "create", errno, $"{reason} [{spec}]")
    {
    }
}
