namespace SharpBpf.Btf;

/// <summary>Loads BTF from a file that is either raw BTF (/sys/kernel/btf/*) or an ELF object with a <c>.BTF</c> section.</summary>
public static class BtfFile
{
    /// <summary>Reads the BTF of <paramref name="path"/>: the whole file when raw BTF, the <c>.BTF</c> section of an ELF object.</summary>
    /// <exception cref="BpfFormatException">neither raw BTF nor an ELF object with a .BTF section, or the BTF is malformed.</exception>
    public static BtfSpec Load(string path, BtfSpec? baseBtf = null)
    {
        var data = File.ReadAllBytes(path);
        try
        {
            return Parse(data, baseBtf);
        }
        catch (BpfFormatException e) when (e.File is null)
        {
            throw new BpfFormatException(e.Message, -1, path);
        }
    }

    /// <summary>Parses <paramref name="data"/> as raw BTF or as an ELF object carrying <c>.BTF</c>.</summary>
    public static BtfSpec Parse(byte[] data, BtfSpec? baseBtf = null)
    {
        if (!MiniElfSections.IsElf(data))
            return BtfSpec.Parse(data, baseBtf);
        var section = MiniElfSections.Find(data, ".BTF")
            ?? throw new BpfFormatException("the ELF object has no .BTF section (compile with clang -g)");
        return BtfSpec.Parse(section.Span, baseBtf);
    }

    /// <summary>The <c>.BTF.ext</c> section of an ELF object, parsed, or null when the object has none.</summary>
    public static BtfExt? LoadExt(string path, BtfSpec btf)
    {
        var data = File.ReadAllBytes(path);
        if (!MiniElfSections.IsElf(data))
            return null;
        var section = MiniElfSections.Find(data, ".BTF.ext");
        try
        {
            return section is null ? null : BtfExt.Parse(section.Value.Span, btf);
        }
        catch (BpfFormatException e) when (e.File is null)
        {
            throw new BpfFormatException(e.Message, -1, path);
        }
    }
}
