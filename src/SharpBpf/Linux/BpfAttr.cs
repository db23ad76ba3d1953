using System.Runtime.InteropServices;

namespace SharpBpf.Linux;

// union bpf_attr, one explicit struct per command (include/uapi/linux/bpf.h). Pointers travel as u64.
// The kernel accepts an attr shorter than its own union (it zero-fills the rest), so each struct ends at its last field.

/// <summary>BPF_MAP_CREATE.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MapCreateAttr
{
    public uint MapType;
    public uint KeySize;
    public uint ValueSize;
    public uint MaxEntries;
    public uint MapFlags;
    public uint InnerMapFd;
    public uint NumaNode;
    public fixed byte MapName[BpfObjectName.Length];
    public uint MapIfindex;
    public uint BtfFd;
    public uint BtfKeyTypeId;
    public uint BtfValueTypeId;
    public uint BtfVmlinuxValueTypeId;
    public ulong MapExtra;
}

/// <summary>BPF_MAP_LOOKUP_ELEM, UPDATE_ELEM, DELETE_ELEM, GET_NEXT_KEY, LOOKUP_AND_DELETE_ELEM, FREEZE (ValueOrNextKey is next_key for GET_NEXT_KEY).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MapElemAttr
{
    public uint MapFd;
    private uint _pad;
    public ulong Key;
    public ulong ValueOrNextKey;
    public ulong Flags;
}

/// <summary>BPF_MAP_LOOKUP_BATCH, LOOKUP_AND_DELETE_BATCH, UPDATE_BATCH, DELETE_BATCH.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MapBatchAttr
{
    public ulong InBatch;
    public ulong OutBatch;
    public ulong Keys;
    public ulong Values;
    public uint Count;
    public uint MapFd;
    public ulong ElemFlags;
    public ulong Flags;
}

/// <summary>BPF_PROG_LOAD.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ProgLoadAttr
{
    public uint ProgType;
    public uint InsnCnt;
    public ulong Insns;
    public ulong License;
    public uint LogLevel;
    public uint LogSize;
    public ulong LogBuf;
    public uint KernVersion;
    public uint ProgFlags;
    public fixed byte ProgName[BpfObjectName.Length];
    public uint ProgIfindex;
    public uint ExpectedAttachType;
    public uint ProgBtfFd;
    public uint FuncInfoRecSize;
    public ulong FuncInfo;
    public uint FuncInfoCnt;
    public uint LineInfoRecSize;
    public ulong LineInfo;
    public uint LineInfoCnt;
    public uint AttachBtfId;
    public uint AttachProgFd;
    public uint CoreReloCnt;
    public ulong FdArray;
    public ulong CoreRelos;
    public uint CoreReloRecSize;
    public uint LogTrueSize;
}

/// <summary>BPF_OBJ_PIN, BPF_OBJ_GET.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ObjPinAttr
{
    public ulong Pathname;
    public uint BpfFd;
    public uint FileFlags;
}

/// <summary>BPF_PROG_TEST_RUN.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TestRunAttr
{
    public uint ProgFd;
    public uint Retval;
    public uint DataSizeIn;
    public uint DataSizeOut;
    public ulong DataIn;
    public ulong DataOut;
    public uint Repeat;
    public uint Duration;
    public uint CtxSizeIn;
    public uint CtxSizeOut;
    public ulong CtxIn;
    public ulong CtxOut;
    public uint Flags;
    public uint Cpu;
    public uint BatchSize;
    private uint _pad;
}

/// <summary>BPF_*_GET_NEXT_ID and BPF_*_GET_FD_BY_ID (Id is start_id / prog_id / map_id / btf_id / link_id).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GetIdAttr
{
    public uint Id;
    public uint NextId;
    public uint OpenFlags;
}

/// <summary>BPF_OBJ_GET_INFO_BY_FD.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GetInfoAttr
{
    public uint BpfFd;
    public uint InfoLen;
    public ulong Info;
}

/// <summary>BPF_PROG_QUERY.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ProgQueryAttr
{
    public uint TargetFd;
    public uint AttachType;
    public uint QueryFlags;
    public uint AttachFlags;
    public ulong ProgIds;
    public uint ProgCnt;
    private uint _pad;
    public ulong ProgAttachFlags;
}

/// <summary>BPF_RAW_TRACEPOINT_OPEN.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RawTracepointOpenAttr
{
    public ulong Name;
    public uint ProgFd;
    private uint _pad;
}

/// <summary>BPF_BTF_LOAD.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct BtfLoadAttr
{
    public ulong Btf;
    public ulong BtfLogBuf;
    public uint BtfSize;
    public uint BtfLogSize;
    public uint BtfLogLevel;
    public uint BtfLogTrueSize;
}

/// <summary>BPF_LINK_CREATE (the union after flags is given as raw words; see <see cref="Attach.BpfCalls"/>).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LinkCreateAttr
{
    public uint ProgFd;
    public uint TargetFd;
    public uint AttachType;
    public uint Flags;
    /// <summary>target_btf_id / iter_info / perf_event.bpf_cookie / ...: the first u64 of the union.</summary>
    public ulong Extra0;
    public ulong Extra1;
    public ulong Extra2;
    public ulong Extra3;
}

/// <summary>BPF_LINK_UPDATE.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LinkUpdateAttr
{
    public uint LinkFd;
    public uint NewProgFd;
    public uint Flags;
    public uint OldProgFd;
}

/// <summary>BPF_LINK_DETACH, BPF_ENABLE_STATS, BPF_MAP_FREEZE: a single u32.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SingleFdAttr
{
    public uint Value;
}

/// <summary>BPF_PROG_BIND_MAP: keep a map alive with a program that does not reference it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ProgBindMapAttr
{
    public uint ProgFd;
    public uint MapFd;
    public uint Flags;
}

/// <summary>BPF_OBJ_NAME_LEN and the kernel's rule for object names.</summary>
public static class BpfObjectName
{
    public const int Length = 16;

    /// <summary>Writes at most 15 bytes of <paramref name="name"/> and a NUL, as the kernel wants them.</summary>
    internal static unsafe void Write(byte* destination, string? name)
    {
        if (string.IsNullOrEmpty(name))
            return;
        int n = 0;
        foreach (char c in name)
        {
            if (n == Length - 1)
                break;
            // The kernel accepts only [A-Za-z0-9_.]; other characters are dropped rather than failing the load.
            if (char.IsAsciiLetterOrDigit(c) || c == '_' || c == '.')
                destination[n++] = (byte)c;
        }
        destination[n] = 0;
    }

    internal static unsafe string Read(byte* source)
    {
        int n = 0;
        while (n < Length && source[n] != 0)
            n++;
        return System.Text.Encoding.ASCII.GetString(source, n);
    }
}
