namespace SharpBpf.Vm.Maps;

/// <summary>The map_flags bits of bpf_attr for BPF_MAP_CREATE (include/uapi/linux/bpf.h).</summary>
[Flags]
public enum BpfMapCreateFlags : uint
{
    None = 0,
    NoPrealloc = 1 << 0,
    NoCommonLru = 1 << 1,
    NumaNode = 1 << 2,
    ReadOnly = 1 << 3,
    WriteOnly = 1 << 4,
    StackBuildId = 1 << 5,
    ZeroSeed = 1 << 6,
    ReadOnlyProgram = 1 << 7,
    WriteOnlyProgram = 1 << 8,
    Clone = 1 << 9,
    Mmapable = 1 << 10,
    PreserveElements = 1 << 11,
    InnerMap = 1 << 12,
    Link = 1 << 13,
    PathFd = 1 << 14,
    VTypeBtfObjFd = 1 << 15,
    TokenFd = 1 << 16,
    SegvOnFault = 1 << 17,
    NoUserConv = 1 << 18,

    /// <summary>BPF_F_ACCESS_MASK: the access bits every map type accepts.</summary>
    AccessMask = ReadOnly | ReadOnlyProgram | WriteOnly | WriteOnlyProgram,
}
