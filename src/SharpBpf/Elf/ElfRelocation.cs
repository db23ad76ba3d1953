namespace SharpBpf.Elf;

/// <summary>One REL or RELA entry: at <see cref="Offset"/> bytes into the target section, apply <see cref="Type"/> for <see cref="SymbolIndex"/>.</summary>
public readonly record struct ElfRelocation(ulong Offset, int SymbolIndex, uint Type, long Addend)
{
    public BpfRelocationType BpfType => (BpfRelocationType)Type;
}

/// <summary>A .rel*/.rela* section, read in place.</summary>
public sealed class ElfRelocationTable
{
    private readonly ElfFile _file;
    private readonly ReadOnlyMemory<byte> _data;
    private readonly int _entrySize;

    internal ElfRelocationTable(ElfFile file, ElfSection section)
    {
        _file = file;
        Section = section;
        IsRela = section.Type == ElfSectionType.Rela;
        _entrySize = IsRela ? ElfConstants.RelaSize : ElfConstants.RelSize;
        if (section.Size % (ulong)_entrySize != 0)
            throw file.Error($"relocation section '{section.Name}' size {section.Size} is not a multiple of {_entrySize}", section.HeaderOffset);
        if (section.Info >= file.Sections.Count)
            throw file.Error($"relocation section '{section.Name}' applies to section {section.Info}, but there are {file.Sections.Count}", section.HeaderOffset + 44);
        Target = file.Sections[(int)section.Info];
        _data = file.GetData(section);
        Count = _data.Length / _entrySize;
        var symbolCount = file.Symbols?.Count ?? 0;
        for (int i = 0; i < Count; i++)
        {
            var r = this[i];
            if (r.SymbolIndex >= symbolCount && r.SymbolIndex != 0)
                throw file.Error($"relocation {i} of '{section.Name}' refers to symbol {r.SymbolIndex}, but the symbol table has {symbolCount}", EntryOffset(i) + 8);
        }
    }

    public ElfSection Section { get; }
    /// <summary>The section the relocations apply to (sh_info).</summary>
    public ElfSection Target { get; }
    public bool IsRela { get; }
    public int Count { get; }

    public ElfRelocation this[int index]
    {
        get
        {
            var s = _data.Span.Slice(index * _entrySize, _entrySize);
            bool be = _file.BigEndian;
            ulong info = EndianReader.U64(s, 8, be);
            long addend = IsRela ? (long)EndianReader.U64(s, 16, be) : 0;
            return new ElfRelocation(EndianReader.U64(s, 0, be), (int)Math.Min(info >> 32, int.MaxValue), (uint)info, addend);
        }
    }

    public long EntryOffset(int index) => (long)Section.FileOffset + (long)index * _entrySize;
}
