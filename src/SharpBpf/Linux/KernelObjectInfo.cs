using SharpBpf.Native;

namespace SharpBpf.Linux;

/// <summary>What the kernel reports about a loaded program (bpf_prog_info), with its variable-length parts.</summary>
public sealed record ProgramInfo
{
    public BpfProgramType Type { get; init; }
    public uint Id { get; init; }
    public required byte[] Tag { get; init; }
    public required string Name { get; init; }
    public bool GplCompatible { get; init; }
    /// <summary>Load time in nanoseconds since boot (CLOCK_BOOTTIME).</summary>
    public ulong LoadTimeNs { get; init; }
    public uint CreatedByUid { get; init; }
    public int XlatedLength { get; init; }
    public int JitedLength { get; init; }
    public required uint[] MapIds { get; init; }
    public uint BtfId { get; init; }
    public ulong RunTimeNs { get; init; }
    public ulong RunCount { get; init; }
    public ulong RecursionMisses { get; init; }
    public uint VerifiedInstructions { get; init; }
    public uint Ifindex { get; init; }
    public ulong NetnsDev { get; init; }
    public ulong NetnsIno { get; init; }
    public uint AttachBtfObjectId { get; init; }
    public uint AttachBtfId { get; init; }
    /// <summary>The translated (post-verifier) instructions, when asked for.</summary>
    public byte[]? Xlated { get; init; }
    /// <summary>The JIT image, when asked for.</summary>
    public byte[]? Jited { get; init; }
    /// <summary>Kernel addresses of each JITed function (main program first), when the JIT image was asked for.</summary>
    public ulong[]? JitedSymbols { get; init; }
    /// <summary>Byte length of each JITed function, when the JIT image was asked for.</summary>
    public uint[]? JitedFunctionLengths { get; init; }
    /// <summary>Raw bpf_func_info records (insn_off, type_id) and their size, when asked for.</summary>
    public byte[]? FuncInfo { get; init; }
    public uint FuncInfoRecordSize { get; init; }
    /// <summary>Raw bpf_line_info records, when asked for.</summary>
    public byte[]? LineInfo { get; init; }
    public uint LineInfoRecordSize { get; init; }
    /// <summary>Per-line-info JIT addresses (u64 each), when asked for.</summary>
    public ulong[]? JitedLineInfo { get; init; }

    public string TagHex => Convert.ToHexString(Tag).ToLowerInvariant();
}

/// <summary>What the kernel reports about a map (bpf_map_info plus /proc fdinfo's memlock and frozen).</summary>
public sealed record MapInfo
{
    public BpfMapType Type { get; init; }
    public uint Id { get; init; }
    public int KeySize { get; init; }
    public int ValueSize { get; init; }
    public int MaxEntries { get; init; }
    public uint Flags { get; init; }
    public required string Name { get; init; }
    public uint Ifindex { get; init; }
    public uint BtfVmlinuxValueTypeId { get; init; }
    public ulong NetnsDev { get; init; }
    public ulong NetnsIno { get; init; }
    public uint BtfId { get; init; }
    public uint BtfKeyTypeId { get; init; }
    public uint BtfValueTypeId { get; init; }
    public ulong MapExtra { get; init; }
}

/// <summary>What the kernel reports about a BTF object.</summary>
public sealed record BtfInfo(uint Id, int Size, string Name, bool IsKernel, byte[]? Data);

/// <summary>What the kernel reports about a link (the common header; <see cref="Raw"/> holds the type-specific union).</summary>
public sealed record LinkInfo(uint Type, uint Id, uint ProgramId, ulong[] Raw)
{
    /// <summary>For raw_tracepoint links, the tracepoint name.</summary>
    public string? TracepointName { get; init; }
}

/// <summary>BPF_OBJ_GET_INFO_BY_FD for programs, maps, BTF and links, and the fdinfo fields the kernel only shows in /proc.</summary>
public static unsafe class KernelObjectInfo
{
    /// <summary>Which variable-length parts of a program's info to fetch.</summary>
    [Flags]
    public enum ProgramParts
    {
        None = 0,
        Xlated = 1,
        Jited = 2,
        FuncInfo = 4,
        LineInfo = 8,
        All = Xlated | Jited | FuncInfo | LineInfo,
    }

    private static int GetInfo<T>(BpfFd fd, ref T info) where T : unmanaged
    {
        fixed (T* p = &info)
        {
            using var lease = fd.Lease();
            var attr = new GetInfoAttr { BpfFd = (uint)lease.Fd, InfoLen = (uint)sizeof(T), Info = (ulong)p };
            BpfSyscall.Invoke(BpfCommand.ObjGetInfoByFd, ref attr);
            return (int)attr.InfoLen;
        }
    }

    public static ProgramInfo GetProgramInfo(BpfFd fd, ProgramParts parts = ProgramParts.None)
    {
        var first = new ProgInfoRaw();
        GetInfo(fd, ref first);
        var mapIds = new uint[first.NrMapIds];
        byte[]? xlated = parts.HasFlag(ProgramParts.Xlated) ? new byte[first.XlatedProgLen] : null;
        byte[]? jited = parts.HasFlag(ProgramParts.Jited) ? new byte[first.JitedProgLen] : null;
        ulong[]? ksyms = parts.HasFlag(ProgramParts.Jited) ? new ulong[first.NrJitedKsyms] : null;
        uint[]? funcLens = parts.HasFlag(ProgramParts.Jited) ? new uint[first.NrJitedFuncLens] : null;
        byte[]? funcInfo = parts.HasFlag(ProgramParts.FuncInfo) ? new byte[first.NrFuncInfo * first.FuncInfoRecSize] : null;
        byte[]? lineInfo = parts.HasFlag(ProgramParts.LineInfo) ? new byte[first.NrLineInfo * first.LineInfoRecSize] : null;
        ulong[]? jitedLineInfo = parts.HasFlag(ProgramParts.LineInfo) && parts.HasFlag(ProgramParts.Jited) ? new ulong[first.NrJitedLineInfo] : null;

        var second = new ProgInfoRaw();
        fixed (uint* pMaps = mapIds)
        fixed (byte* pXlated = xlated, pJited = jited, pFunc = funcInfo, pLine = lineInfo)
        fixed (ulong* pKsyms = ksyms, pJitedLine = jitedLineInfo)
        fixed (uint* pFuncLens = funcLens)
        {
            second.NrMapIds = (uint)mapIds.Length;
            second.MapIds = (ulong)pMaps;
            if (xlated is not null) { second.XlatedProgLen = (uint)xlated.Length; second.XlatedProgInsns = (ulong)pXlated; }
            if (jited is not null)
            {
                second.JitedProgLen = (uint)jited.Length; second.JitedProgInsns = (ulong)pJited;
                second.NrJitedKsyms = (uint)ksyms!.Length; second.JitedKsyms = (ulong)pKsyms;
                second.NrJitedFuncLens = (uint)funcLens!.Length; second.JitedFuncLens = (ulong)pFuncLens;
            }
            if (funcInfo is not null) { second.NrFuncInfo = first.NrFuncInfo; second.FuncInfoRecSize = first.FuncInfoRecSize; second.FuncInfo = (ulong)pFunc; }
            if (lineInfo is not null) { second.NrLineInfo = first.NrLineInfo; second.LineInfoRecSize = first.LineInfoRecSize; second.LineInfo = (ulong)pLine; }
            if (jitedLineInfo is not null) { second.NrJitedLineInfo = (uint)jitedLineInfo.Length; second.JitedLineInfoRecSize = 8; second.JitedLineInfo = (ulong)pJitedLine; }
            GetInfo(fd, ref second);
        }
        return new ProgramInfo
        {
            Type = (BpfProgramType)second.Type,
            Id = second.Id,
            Tag = new ReadOnlySpan<byte>(second.Tag, 8).ToArray(),
            Name = BpfObjectName.Read(second.Name),
            GplCompatible = (second.GplCompatible & 1) != 0,
            LoadTimeNs = second.LoadTime,
            CreatedByUid = second.CreatedByUid,
            XlatedLength = (int)first.XlatedProgLen,
            JitedLength = (int)first.JitedProgLen,
            MapIds = mapIds.AsSpan(0, (int)Math.Min(second.NrMapIds, (uint)mapIds.Length)).ToArray(),
            BtfId = second.BtfId,
            RunTimeNs = second.RunTimeNs,
            RunCount = second.RunCnt,
            RecursionMisses = second.RecursionMisses,
            VerifiedInstructions = second.VerifiedInsns,
            Ifindex = second.Ifindex,
            NetnsDev = second.NetnsDev,
            NetnsIno = second.NetnsIno,
            AttachBtfObjectId = second.AttachBtfObjId,
            AttachBtfId = second.AttachBtfId,
            Xlated = xlated,
            Jited = jited,
            JitedSymbols = ksyms,
            JitedFunctionLengths = funcLens,
            FuncInfo = funcInfo,
            FuncInfoRecordSize = first.FuncInfoRecSize,
            LineInfo = lineInfo,
            LineInfoRecordSize = first.LineInfoRecSize,
            JitedLineInfo = jitedLineInfo,
        };
    }

    public static MapInfo GetMapInfo(BpfFd fd)
    {
        var raw = new MapInfoRaw();
        GetInfo(fd, ref raw);
        return new MapInfo
        {
            Type = (BpfMapType)raw.Type,
            Id = raw.Id,
            KeySize = (int)raw.KeySize,
            ValueSize = (int)raw.ValueSize,
            MaxEntries = (int)raw.MaxEntries,
            Flags = raw.MapFlags,
            Name = BpfObjectName.Read(raw.Name),
            Ifindex = raw.Ifindex,
            BtfVmlinuxValueTypeId = raw.BtfVmlinuxValueTypeId,
            NetnsDev = raw.NetnsDev,
            NetnsIno = raw.NetnsIno,
            BtfId = raw.BtfId,
            BtfKeyTypeId = raw.BtfKeyTypeId,
            BtfValueTypeId = raw.BtfValueTypeId,
            MapExtra = raw.MapExtra,
        };
    }

    /// <summary>A BTF object's id, size, name and kernel flag; its raw bytes too when <paramref name="withData"/>.</summary>
    public static BtfInfo GetBtfInfo(BpfFd fd, bool withData = false)
    {
        var nameBuffer = new byte[256];
        var raw = new BtfInfoRaw();
        fixed (byte* pName = nameBuffer)
        {
            raw.Name = (ulong)pName;
            raw.NameLen = (uint)nameBuffer.Length;
            GetInfo(fd, ref raw);
        }
        byte[]? data = null;
        if (withData)
        {
            data = new byte[raw.BtfSize];
            var again = new BtfInfoRaw();
            fixed (byte* pData = data)
            {
                again.Btf = (ulong)pData;
                again.BtfSize = (uint)data.Length;
                GetInfo(fd, ref again);
            }
        }
        var nameLength = Array.IndexOf(nameBuffer, (byte)0);
        var name = System.Text.Encoding.UTF8.GetString(nameBuffer, 0, nameLength < 0 ? nameBuffer.Length : nameLength);
        return new BtfInfo(raw.Id, (int)raw.BtfSize, name, raw.KernelBtf != 0, data);
    }

    public static LinkInfo GetLinkInfo(BpfFd fd)
    {
        var raw = new LinkInfoRaw();
        GetInfo(fd, ref raw);
        string? tpName = null;
        if (raw.Type == 1 /* BPF_LINK_TYPE_RAW_TRACEPOINT */)
        {
            var buffer = new byte[256];
            var again = new LinkInfoRaw();
            fixed (byte* p = buffer)
            {
                again.Union[0] = (ulong)p;
                again.Union[1] = (uint)buffer.Length;
                GetInfo(fd, ref again);
            }
            var n = Array.IndexOf(buffer, (byte)0);
            tpName = System.Text.Encoding.UTF8.GetString(buffer, 0, n < 0 ? buffer.Length : n);
        }
        var words = new ulong[8];
        for (int i = 0; i < 8; i++)
            words[i] = raw.Union[i];
        return new LinkInfo(raw.Type, raw.Id, raw.ProgId, words) { TracepointName = tpName };
    }

    /// <summary>A field of /proc/self/fdinfo/FD ("memlock", "frozen", "map_type"...), or null when absent.</summary>
    public static string? FdInfoField(BpfFd fd, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/self/fdinfo/{fd.Value}"))
            {
                int colon = line.IndexOf(':');
                if (colon > 0 && line.AsSpan(0, colon).SequenceEqual(field))
                    return line[(colon + 1)..].Trim();
            }
        }
        catch (IOException) { }
        return null;
    }

    /// <summary>bytes_memlock as the kernel accounts it, or null.</summary>
    public static long? Memlock(BpfFd fd) => long.TryParse(FdInfoField(fd, "memlock"), out var v) ? v : null;

    /// <summary>True when the map is frozen (fdinfo "frozen: 1"), null when the kernel does not say.</summary>
    public static bool? IsFrozen(BpfFd fd) => FdInfoField(fd, "frozen") is { } s ? s != "0" : null;

    /// <summary>Converts a load time (ns since boot) to Unix seconds, as bpftool does.</summary>
    public static long BootTimeToUnixSeconds(ulong bootNs)
    {
        var realtime = ClockGetTime(0 /* CLOCK_REALTIME */);
        var boottime = ClockGetTime(LibC.CLOCK_BOOTTIME);
        var wallNs = (long)bootNs + (realtime - boottime);
        return wallNs / 1_000_000_000;
    }

    private static long ClockGetTime(int clock) =>
        LibC.Nanoseconds(clock) ?? throw new BpfException($"clock_gettime({clock}) failed");
}
