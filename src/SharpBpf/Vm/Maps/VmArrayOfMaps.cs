using SharpBpf.Objects;

namespace SharpBpf.Vm.Maps;

/// <summary>
/// ARRAY_OF_MAPS: user space stores map ids (resolved through the <see cref="IVmObjectResolver"/>, and checked
/// against the spec's <see cref="MapSpec.InnerMap"/> template as the kernel does: same type, key size, value size,
/// flags, and max_entries unless the template has BPF_F_INNER_MAP) and reads the ids back. A program's lookup
/// yields the inner map through <see cref="GetInner"/>; <see cref="VmMap.LookupFromProgram"/> returns null.
/// </summary>
public sealed unsafe class VmArrayOfMaps : VmFdArray, IVmMapOfMaps
{
    private readonly MapSpec _template;

    internal VmArrayOfMaps(MapSpec spec, IVmObjectResolver resolver) : base(spec, resolver)
    {
        _template = spec.InnerMap!.Clone();
    }

    public IVmMap? GetInner(byte* key) => Get(*(uint*)key) as IVmMap;

    private protected override int Accept(object target) => InnerMapTemplate.Check(_template, target);
}
