namespace SharpBpf.Linux;

/// <summary>The BTF of an object already in the kernel, parsed.</summary>
internal static class LoadedBtf
{
    /// <summary>The parsed BTF object <paramref name="btfId"/>, or null when there is none, it is gone, or it does not parse.</summary>
    public static SharpBpf.Btf.BtfSpec? TryParse(uint btfId)
    {
        if (btfId == 0)
            return null;
        using var fd = BpfSyscall.TryGetFdById(BpfObjectKind.Btf, btfId);
        if (fd is null || KernelObjectInfo.GetBtfInfo(fd, withData: true).Data is not { } data)
            return null;
        try
        {
            var spec = SharpBpf.Btf.BtfSpec.Parse(data);
            return spec;
        }
        catch (BpfFormatException)
        {
            return null;
        }
    }
}
