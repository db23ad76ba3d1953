using SharpBpf.Native;
using System.Runtime.InteropServices;
using System.Text;

namespace SharpBpf.Linux;

/// <summary>
/// Opt-in trace of every bpf() call, decoded the way strace prints it:
/// <c>bpf(BPF_MAP_CREATE, {map_type=BPF_MAP_TYPE_HASH, key_size=8, ...}, 72) = 4</c>.
/// On when the environment has SHARPBPF_TRACE=1 (to stderr), or when <see cref="Writer"/> is set.
/// </summary>
public static class BpfTrace
{
    private static TextWriter? _writer =
        Environment.GetEnvironmentVariable("SHARPBPF_TRACE") is "1" or "true" ? Console.Error : null;
    private static readonly object Gate = new();

    /// <summary>Where the trace goes; null turns it off.</summary>
    public static TextWriter? Writer
    {
        get => _writer;
        set => _writer = value;
    }

    public static bool IsEnabled => _writer is not null;

    internal static string DescribeInput(BpfCommand command, ReadOnlySpan<byte> attr)
    {
        try
        {
            return Decode(command, attr);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return "{...}";
        }
    }

    internal static void Write(BpfCommand command, string decodedAttr, ReadOnlySpan<byte> attrAfter, int size, long result, int errno)
    {
        var writer = _writer;
        if (writer is null)
            return;
        var outcome = result >= 0 ? result.ToString() : $"-1 {Errno.Name(errno)} ({LibC.ErrorText(errno)})";
        var output = DecodeOutput(command, attrAfter, result);
        var line = $"bpf({KernelNames.Command(command)}, {decodedAttr}, {size}) = {outcome}{output}";
        lock (Gate)
            writer.WriteLine(line);
    }

    private static T Read<T>(ReadOnlySpan<byte> attr) where T : unmanaged =>
        MemoryMarshal.Read<T>(attr);

    private static unsafe string Decode(BpfCommand command, ReadOnlySpan<byte> attr)
    {
        switch (command)
        {
            case BpfCommand.MapCreate:
            {
                var a = Read<MapCreateAttr>(attr);
                var name = BpfObjectName.Read(a.MapName);
                return $"{{map_type={KernelNames.MapType((BpfMapType)a.MapType)}, key_size={a.KeySize}, value_size={a.ValueSize}, " +
                       $"max_entries={a.MaxEntries}, map_flags={Hex(a.MapFlags)}, inner_map_fd={a.InnerMapFd}, map_name=\"{name}\", " +
                       $"map_ifindex={a.MapIfindex}, btf_fd={a.BtfFd}, btf_key_type_id={a.BtfKeyTypeId}, btf_value_type_id={a.BtfValueTypeId}, " +
                       $"btf_vmlinux_value_type_id={a.BtfVmlinuxValueTypeId}, map_extra={a.MapExtra}}}";
            }
            case BpfCommand.MapLookupElem or BpfCommand.MapLookupAndDeleteElem:
            {
                var a = Read<MapElemAttr>(attr);
                return $"{{map_fd={a.MapFd}, key={Hex(a.Key)}, value={Hex(a.ValueOrNextKey)}, flags={Flags(a.Flags)}}}";
            }
            case BpfCommand.MapUpdateElem:
            {
                var a = Read<MapElemAttr>(attr);
                return $"{{map_fd={a.MapFd}, key={Hex(a.Key)}, value={Hex(a.ValueOrNextKey)}, flags={Flags(a.Flags)}}}";
            }
            case BpfCommand.MapDeleteElem:
            {
                var a = Read<MapElemAttr>(attr);
                return $"{{map_fd={a.MapFd}, key={Hex(a.Key)}}}";
            }
            case BpfCommand.MapGetNextKey:
            {
                var a = Read<MapElemAttr>(attr);
                return $"{{map_fd={a.MapFd}, key={(a.Key == 0 ? "NULL" : Hex(a.Key))}, next_key={Hex(a.ValueOrNextKey)}}}";
            }
            case BpfCommand.MapFreeze:
                return $"{{map_fd={Read<SingleFdAttr>(attr).Value}}}";
            case BpfCommand.MapLookupBatch or BpfCommand.MapLookupAndDeleteBatch or BpfCommand.MapUpdateBatch or BpfCommand.MapDeleteBatch:
            {
                var a = Read<MapBatchAttr>(attr);
                return $"{{batch={{in_batch={(a.InBatch == 0 ? "NULL" : Hex(a.InBatch))}, out_batch={Hex(a.OutBatch)}, keys={Hex(a.Keys)}, " +
                       $"values={Hex(a.Values)}, count={a.Count}, map_fd={a.MapFd}, elem_flags={Flags(a.ElemFlags)}, flags={a.Flags}}}}}";
            }
            case BpfCommand.ProgLoad:
            {
                var a = Read<ProgLoadAttr>(attr);
                var name = BpfObjectName.Read(a.ProgName);
                var license = a.License == 0 ? "NULL" : "\"" + Marshal.PtrToStringUTF8((nint)a.License) + "\"";
                return $"{{prog_type={KernelNames.ProgramType((BpfProgramType)a.ProgType)}, insn_cnt={a.InsnCnt}, insns={Hex(a.Insns)}, " +
                       $"license={license}, log_level={a.LogLevel}, log_size={a.LogSize}, log_buf={Hex(a.LogBuf)}, " +
                       $"kern_version={KernelVersion(a.KernVersion)}, prog_flags={Hex(a.ProgFlags)}, prog_name=\"{name}\", prog_ifindex={a.ProgIfindex}, " +
                       $"expected_attach_type={KernelNames.AttachType((BpfAttachType)a.ExpectedAttachType)}, prog_btf_fd={a.ProgBtfFd}, " +
                       $"func_info_rec_size={a.FuncInfoRecSize}, func_info={Hex(a.FuncInfo)}, func_info_cnt={a.FuncInfoCnt}, " +
                       $"line_info_rec_size={a.LineInfoRecSize}, line_info={Hex(a.LineInfo)}, line_info_cnt={a.LineInfoCnt}, " +
                       $"attach_btf_id={a.AttachBtfId}, attach_prog_fd={a.AttachProgFd}, fd_array={Hex(a.FdArray)}}}";
            }
            case BpfCommand.ObjPin or BpfCommand.ObjGet:
            {
                var a = Read<ObjPinAttr>(attr);
                var path = a.Pathname == 0 ? "NULL" : "\"" + Marshal.PtrToStringUTF8((nint)a.Pathname) + "\"";
                return $"{{pathname={path}, bpf_fd={a.BpfFd}, file_flags={a.FileFlags}}}";
            }
            case BpfCommand.ProgTestRun:
            {
                var a = Read<TestRunAttr>(attr);
                return $"{{test={{prog_fd={a.ProgFd}, retval={a.Retval}, data_size_in={a.DataSizeIn}, data_size_out={a.DataSizeOut}, " +
                       $"data_in={Hex(a.DataIn)}, data_out={Hex(a.DataOut)}, repeat={a.Repeat}, duration={a.Duration}, ctx_size_in={a.CtxSizeIn}, " +
                       $"ctx_size_out={a.CtxSizeOut}, ctx_in={Hex(a.CtxIn)}, ctx_out={Hex(a.CtxOut)}, flags={a.Flags}, cpu={a.Cpu}, batch_size={a.BatchSize}}}}}";
            }
            case BpfCommand.ProgGetNextId or BpfCommand.MapGetNextId or BpfCommand.BtfGetNextId or BpfCommand.LinkGetNextId:
            {
                var a = Read<GetIdAttr>(attr);
                return $"{{start_id={a.Id}, next_id={a.NextId}, open_flags={a.OpenFlags}}}";
            }
            case BpfCommand.ProgGetFdById:
                return $"{{prog_id={Read<GetIdAttr>(attr).Id}, next_id=0, open_flags=0}}";
            case BpfCommand.MapGetFdById:
                return $"{{map_id={Read<GetIdAttr>(attr).Id}, next_id=0, open_flags=0}}";
            case BpfCommand.BtfGetFdById:
                return $"{{btf_id={Read<GetIdAttr>(attr).Id}}}";
            case BpfCommand.LinkGetFdById:
                return $"{{link_id={Read<GetIdAttr>(attr).Id}}}";
            case BpfCommand.ObjGetInfoByFd:
            {
                var a = Read<GetInfoAttr>(attr);
                return $"{{info={{bpf_fd={a.BpfFd}, info_len={a.InfoLen}, info={Hex(a.Info)}}}}}";
            }
            case BpfCommand.ProgQuery:
            {
                var a = Read<ProgQueryAttr>(attr);
                return $"{{query={{target_fd={a.TargetFd}, attach_type={KernelNames.AttachType((BpfAttachType)a.AttachType)}, query_flags={a.QueryFlags}, " +
                       $"attach_flags={a.AttachFlags}, prog_ids={Hex(a.ProgIds)}, prog_cnt={a.ProgCnt}}}}}";
            }
            case BpfCommand.RawTracepointOpen:
            {
                var a = Read<RawTracepointOpenAttr>(attr);
                var name = a.Name == 0 ? "NULL" : "\"" + Marshal.PtrToStringUTF8((nint)a.Name) + "\"";
                return $"{{raw_tracepoint={{name={name}, prog_fd={a.ProgFd}}}}}";
            }
            case BpfCommand.BtfLoad:
            {
                var a = Read<BtfLoadAttr>(attr);
                return $"{{btf={Hex(a.Btf)}, btf_log_buf={Hex(a.BtfLogBuf)}, btf_size={a.BtfSize}, btf_log_size={a.BtfLogSize}, btf_log_level={a.BtfLogLevel}}}";
            }
            case BpfCommand.LinkCreate:
            {
                var a = Read<LinkCreateAttr>(attr);
                return $"{{link_create={{prog_fd={a.ProgFd}, target_fd={a.TargetFd}, attach_type={KernelNames.AttachType((BpfAttachType)a.AttachType)}, flags={Hex(a.Flags)}}}}}";
            }
            case BpfCommand.LinkUpdate:
            {
                var a = Read<LinkUpdateAttr>(attr);
                return $"{{link_update={{link_fd={a.LinkFd}, new_prog_fd={a.NewProgFd}, flags={Hex(a.Flags)}, old_prog_fd={a.OldProgFd}}}}}";
            }
            case BpfCommand.LinkDetach:
                return $"{{link_detach={{link_fd={Read<SingleFdAttr>(attr).Value}}}}}";
            case BpfCommand.EnableStats:
                return Read<SingleFdAttr>(attr).Value == 0 ? "{enable_stats={type=BPF_STATS_RUN_TIME}}" : $"{{enable_stats={{type={Read<SingleFdAttr>(attr).Value}}}}}";
            default:
                return "{...}";
        }
    }

    private static string DecodeOutput(BpfCommand command, ReadOnlySpan<byte> attr, long result)
    {
        if (result < 0)
            return "";
        switch (command)
        {
            case BpfCommand.ProgTestRun:
            {
                var a = Read<TestRunAttr>(attr);
                return $" (retval={a.Retval}, duration={a.Duration}, data_size_out={a.DataSizeOut}, ctx_size_out={a.CtxSizeOut})";
            }
            case BpfCommand.ProgGetNextId or BpfCommand.MapGetNextId or BpfCommand.BtfGetNextId or BpfCommand.LinkGetNextId:
                return $" (next_id={Read<GetIdAttr>(attr).NextId})";
            case BpfCommand.MapLookupBatch or BpfCommand.MapLookupAndDeleteBatch or BpfCommand.MapUpdateBatch or BpfCommand.MapDeleteBatch:
                return $" (count={Read<MapBatchAttr>(attr).Count})";
            case BpfCommand.ObjGetInfoByFd:
                return $" (info_len={Read<GetInfoAttr>(attr).InfoLen})";
            default:
                return "";
        }
    }

    private static string Hex(ulong v) => v == 0 ? "0" : "0x" + v.ToString("x");

    private static string Flags(ulong flags) => flags switch
    {
        0 => "BPF_ANY",
        1 => "BPF_NOEXIST",
        2 => "BPF_EXIST",
        4 => "BPF_F_LOCK",
        _ => Hex(flags),
    };

    private static string KernelVersion(uint v) =>
        v == 0 ? "0" : $"KERNEL_VERSION({v >> 16}, {(v >> 8) & 0xff}, {v & 0xff})";
}
