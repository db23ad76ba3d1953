namespace SharpBpf.Elf;

/// <summary>The .symtab section, read in place: entries are decoded on access, names resolved (and cached) on demand.</summary>
public sealed class ElfSymbolTable
{
    private readonly ElfFile _file;
    private readonly ReadOnlyMemory<byte> _data;
    private readonly ElfSection _strings;
    private string?[]? _names;

    internal ElfSymbolTable(ElfFile file, ElfSection section)
    {
        _file = file;
        Section = section;
        if (section.EntrySize != ElfConstants.SymbolSize && section.EntrySize != 0)
            throw file.Error($"symbol table '{section.Name}' has entry size {section.EntrySize}, expected {ElfConstants.SymbolSize}", section.HeaderOffset);
        if (section.Size % ElfConstants.SymbolSize != 0)
            throw file.Error($"symbol table '{section.Name}' size {section.Size} is not a multiple of {ElfConstants.SymbolSize}", section.HeaderOffset);
        if (section.Link >= file.Sections.Count || file.Sections[(int)section.Link].Type != ElfSectionType.StrTab)
            throw file.Error($"symbol table '{section.Name}' links to section {section.Link}, which is not a string table", section.HeaderOffset);
        _strings = file.Sections[(int)section.Link];
        _data = file.GetData(section);
        Count = _data.Length / ElfConstants.SymbolSize;
        Validate();
    }

    public ElfSection Section { get; }
    public int Count { get; }

    public ElfSymbol this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
                throw new BpfFormatException($"symbol index {index} is out of range (the symbol table has {Count})", (long)Section.FileOffset, _file.FileName);
            var s = _data.Span.Slice(index * ElfConstants.SymbolSize, ElfConstants.SymbolSize);
            bool be = _file.BigEndian;
            return new ElfSymbol(index, EndianReader.U32(s, 0, be), s[4], s[5], EndianReader.U16(s, 6, be),
                EndianReader.U64(s, 8, be), EndianReader.U64(s, 16, be));
        }
    }

    /// <summary>The symbol's own name (st_name); empty for most section symbols.</summary>
    public string GetName(int index)
    {
        _names ??= new string?[Count];
        if ((uint)index >= (uint)Count)
            throw new BpfFormatException($"symbol index {index} is out of range (the symbol table has {Count})", (long)Section.FileOffset, _file.FileName);
        return _names[index] ??= _file.GetString(_strings, this[index].NameOffset);
    }

    /// <summary>The name tools print: a section symbol is named by its section.</summary>
    public string GetDisplayName(int index)
    {
        var sym = this[index];
        if (sym.Type == ElfSymbolType.Section && sym.IsInSection)
            return _file.Sections[sym.SectionIndex].Name;
        return GetName(index);
    }

    /// <summary>The file offset of symbol <paramref name="index"/>'s entry.</summary>
    public long EntryOffset(int index) => (long)Section.FileOffset + (long)index * ElfConstants.SymbolSize;

    private void Validate()
    {
        for (int i = 0; i < Count; i++)
        {
            var sym = this[i];
            if (sym.NameOffset >= _strings.Size && !(sym.NameOffset == 0 && _strings.Size == 0))
                throw _file.Error($"symbol {i} has name offset {sym.NameOffset} past the end of '{_strings.Name}' ({_strings.Size} bytes)", EntryOffset(i));
            if (sym.IsInSection && sym.SectionIndex >= _file.Sections.Count)
                throw _file.Error($"symbol {i} refers to section {sym.SectionIndex}, but there are {_file.Sections.Count}", EntryOffset(i) + 6);
        }
    }
}
