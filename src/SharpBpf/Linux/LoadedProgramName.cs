namespace SharpBpf.Linux;

/// <summary>A loaded program's full name: the kernel keeps 15 characters, so a longer one comes from the BTF of its main function.</summary>
internal static class LoadedProgramName
{
    /// <summary>bpftool's get_prog_full_name: a 15-character (possibly truncated) name is replaced by the BTF name of the first function.</summary>
    public static string Of(BpfFd fd, ProgramInfo info)
    {
        if (info.BtfId == 0 || info.Name.Length < BpfObjectName.Length - 1)
            return info.Name;
        var full = KernelObjectInfo.GetProgramInfo(fd, KernelObjectInfo.ProgramParts.FuncInfo);
        if (full.FuncInfo is not { Length: >= 8 } funcInfo)
            return info.Name;
        var btf = LoadedBtf.TryParse(info.BtfId);
        var typeId = BitConverter.ToUInt32(funcInfo, 4);
        try
        {
            return btf is not null && btf[typeId] is SharpBpf.Btf.BtfFunc func ? func.Name : info.Name;
        }
        catch (ArgumentOutOfRangeException)
        {
            return info.Name;
        }
    }
}
