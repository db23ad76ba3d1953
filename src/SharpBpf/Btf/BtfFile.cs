using SharpBpf.Elf;

namespace SharpBpf.Btf;

/// <summary>Loads BTF from a file that is either raw BTF (/sys/kernel/btf/*) or a BPF ELF object with a <c>.BTF</c> section.</summary>
public static class BtfFile
{
    /// <summary>Reads the BTF of <paramref name="path"/>: the whole file when raw BTF, the <c>.BTF</c> section of an ELF object.</summary>
    /// <exception cref="BpfFormatException">neither raw BTF nor an ELF object with a .BTF section, or the BTF is malformed.</exception>
    public static BtfSpec Load(string path, BtfSpec? baseBtf = null)
    {
        var data = File.ReadAllBytes(path);
        try
        {
            return Parse(data, baseBtf, path);
        }
        catch (BpfFormatException e) when (e.File is null)
        {
            throw WithFile(e, path);
        }
    }

    /// <summary>The same error, now naming the file (the offset is kept; the message is not repeated).</summary>
    internal static BpfFormatException WithFile(BpfFormatException e, string path)
    {
        var suffix = e.Offset >= 0 ? $" (at file offset 0x{e.Offset:x})" : "";
        var message = suffix.Length > 0 && e.Message.EndsWith(suffix, StringComparison.Ordinal) ? e.Message[..^suffix.Length] : e.Message;
        return new BpfFormatException(message, e.Offset, path);
    }

    /// <summary>Parses <paramref name="data"/> as raw BTF or as an ELF object carrying <c>.BTF</c>.</summary>
    public static BtfSpec Parse(byte[] data, BtfSpec? baseBtf = null, string? fileName = null)
    {
        if (!IsElf(data))
            return BtfSpec.Parse(data, baseBtf);
        var elf = ElfFile.Parse(data, fileName);
        var section = elf.FindSection(".BTF")
            ?? throw new BpfFormatException("the ELF object has no .BTF section (compile with clang -g)", -1, fileName);
        return BtfSpec.Parse(elf.GetData(section).Span, baseBtf, (long)section.FileOffset);
    }

    /// <summary>The <c>.BTF.ext</c> section of an ELF object, parsed, or null when the object has none.</summary>
    /// <param name="btf">the object's <c>.BTF</c>, whose string table the records refer to.</param>
    public static BtfExt? LoadExt(string path, BtfSpec btf)
    {
        var data = File.ReadAllBytes(path);
        if (!IsElf(data))
            return null;
        var elf = ElfFile.Parse(data, path);
        var section = elf.FindSection(".BTF.ext");
        try
        {
            return section is null ? null : BtfExt.Parse(elf.GetData(section).Span, btf);
        }
        catch (BpfFormatException e) when (e.File is null)
        {
            throw WithFile(e, path);
        }
    }

    private static bool IsElf(ReadOnlySpan<byte> data) =>
        data.Length >= 4 && data[0] == 0x7f && data[1] == (byte)'E' && data[2] == (byte)'L' && data[3] == (byte)'F';
}
