namespace SharpBpf.Elf;

/// <summary>One section header, with its name resolved. The bytes stay in the file: see <see cref="ElfFile.GetData(ElfSection)"/>.</summary>
public sealed class ElfSection
{
    public int Index { get; init; }
    public string Name { get; init; } = "";
    public uint NameOffset { get; init; }
    public ElfSectionType Type { get; init; }
    public ElfSectionFlags Flags { get; init; }
    public ulong Address { get; init; }
    /// <summary>sh_offset: where the section's bytes start in the file.</summary>
    public ulong FileOffset { get; init; }
    public ulong Size { get; init; }
    public uint Link { get; init; }
    public uint Info { get; init; }
    public ulong AddressAlign { get; init; }
    public ulong EntrySize { get; init; }
    /// <summary>Where this section's header is in the file.</summary>
    public long HeaderOffset { get; init; }

    public bool IsExecutable => (Flags & ElfSectionFlags.ExecInstr) != 0;
    public bool IsAllocated => (Flags & ElfSectionFlags.Alloc) != 0;
    public bool IsWritable => (Flags & ElfSectionFlags.Write) != 0;
    /// <summary>SHT_NOBITS: occupies no bytes in the file (.bss).</summary>
    public bool IsNoBits => Type == ElfSectionType.NoBits;
    public bool IsRelocation => Type is ElfSectionType.Rel or ElfSectionType.Rela;

    public override string ToString() => $"[{Index}] {Name} ({Type}, {Size} bytes)";
}
