using SharpBpf.Objects;

namespace SharpBpf.Vm.Maps;

/// <summary>The kernel's bpf_map_meta_equal: which maps may be stored in a map of maps built from a template.</summary>
internal static class InnerMapTemplate
{
    /// <summary>0 when <paramref name="target"/> is a VM map compatible with <paramref name="template"/>, else EINVAL.</summary>
    public static int Check(MapSpec template, object target)
    {
        if (target is not IVmMap map)
            return Errno.EINVAL;
        bool sameMax = (template.Flags & (uint)BpfMapCreateFlags.InnerMap) != 0 || template.MaxEntries == map.MaxEntries;
        return map.Type == template.Type && map.KeySize == template.KeySize && map.ValueSize == template.ValueSize
            && map.Flags == template.Flags && sameMax
            ? 0 : Errno.EINVAL;
    }
}
