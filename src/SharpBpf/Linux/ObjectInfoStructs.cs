using System.Runtime.InteropServices;

namespace SharpBpf.Linux;

/// <summary>struct bpf_prog_info.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ProgInfoRaw
{
    public uint Type;
    public uint Id;
    public fixed byte Tag[8];
    public uint JitedProgLen;
    public uint XlatedProgLen;
    public ulong JitedProgInsns;
    public ulong XlatedProgInsns;
    public ulong LoadTime;
    public uint CreatedByUid;
    public uint NrMapIds;
    public ulong MapIds;
    public fixed byte Name[BpfObjectName.Length];
    public uint Ifindex;
    public uint GplCompatible;
    public ulong NetnsDev;
    public ulong NetnsIno;
    public uint NrJitedKsyms;
    public uint NrJitedFuncLens;
    public ulong JitedKsyms;
    public ulong JitedFuncLens;
    public uint BtfId;
    public uint FuncInfoRecSize;
    public ulong FuncInfo;
    public uint NrFuncInfo;
    public uint NrLineInfo;
    public ulong LineInfo;
    public ulong JitedLineInfo;
    public uint NrJitedLineInfo;
    public uint LineInfoRecSize;
    public uint JitedLineInfoRecSize;
    public uint NrProgTags;
    public ulong ProgTags;
    public ulong RunTimeNs;
    public ulong RunCnt;
    public ulong RecursionMisses;
    public uint VerifiedInsns;
    public uint AttachBtfObjId;
    public uint AttachBtfId;
    private uint _pad;
}

/// <summary>struct bpf_map_info.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MapInfoRaw
{
    public uint Type;
    public uint Id;
    public uint KeySize;
    public uint ValueSize;
    public uint MaxEntries;
    public uint MapFlags;
    public fixed byte Name[BpfObjectName.Length];
    public uint Ifindex;
    public uint BtfVmlinuxValueTypeId;
    public ulong NetnsDev;
    public ulong NetnsIno;
    public uint BtfId;
    public uint BtfKeyTypeId;
    public uint BtfValueTypeId;
    private uint _pad;
    public ulong MapExtra;
}

/// <summary>struct bpf_btf_info.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct BtfInfoRaw
{
    public ulong Btf;
    public uint BtfSize;
    public uint Id;
    public ulong Name;
    public uint NameLen;
    public uint KernelBtf;
}

/// <summary>struct bpf_link_info: the header and the union as raw words.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LinkInfoRaw
{
    public uint Type;
    public uint Id;
    public uint ProgId;
    private uint _pad;
    public fixed ulong Union[8];
}
