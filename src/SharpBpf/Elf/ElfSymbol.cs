namespace SharpBpf.Elf;

/// <summary>One .symtab entry, read in place. The name is looked up through <see cref="ElfSymbolTable.GetName(int)"/>.</summary>
public readonly struct ElfSymbol
{
    public ElfSymbol(int index, uint nameOffset, byte info, byte other, ushort sectionIndex, ulong value, ulong size)
    {
        Index = index;
        NameOffset = nameOffset;
        Info = info;
        Other = other;
        SectionIndex = sectionIndex;
        Value = value;
        Size = size;
    }

    public int Index { get; }
    public uint NameOffset { get; }
    public byte Info { get; }
    /// <summary>st_other: the visibility in its low two bits.</summary>
    public byte Other { get; }
    public ushort SectionIndex { get; }
    public ulong Value { get; }
    public ulong Size { get; }

    public ElfSymbolBinding Binding => (ElfSymbolBinding)(Info >> 4);
    public ElfSymbolType Type => (ElfSymbolType)(Info & 0xf);
    public bool IsUndefined => SectionIndex == ElfConstants.SectionUndefined;
    public bool IsAbsolute => SectionIndex == ElfConstants.SectionAbsolute;
    public bool IsCommon => SectionIndex == ElfConstants.SectionCommon;
    /// <summary>True when <see cref="SectionIndex"/> names a real section.</summary>
    public bool IsInSection => SectionIndex != ElfConstants.SectionUndefined && SectionIndex < ElfConstants.SectionLoReserve;
    public bool IsGlobal => Binding != ElfSymbolBinding.Local;
}
