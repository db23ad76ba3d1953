namespace SharpBpf.Elf;

/// <summary>
/// A zero-copy reader of a 64-bit ELF relocatable BPF object over <see cref="ReadOnlyMemory{T}"/>, in either byte order.
/// Headers, section names and the symbol table are validated up front; section bytes are slices of the input.
/// Anything truncated or inconsistent raises <see cref="BpfFormatException"/> naming the file offset.
/// </summary>
public sealed class ElfFile
{
    private readonly ElfSection[] _sections;
    private ElfRelocationTable?[]? _relocations;
    private Dictionary<string, ElfSection>? _byName;

    private ElfFile(ReadOnlyMemory<byte> data, string? fileName)
    {
        Data = data;
        FileName = fileName;
        var s = data.Span;
        if (s.Length < 16 || s[0] != 0x7f || s[1] != (byte)'E' || s[2] != (byte)'L' || s[3] != (byte)'F')
            throw Error("not an ELF file (bad magic)", 0);
        if (s[4] != 2)
            throw Error($"not a 64-bit ELF file (EI_CLASS {s[4]}); BPF objects are ELF64", 4);
        if (s[5] is not (1 or 2))
            throw Error($"unknown ELF byte order (EI_DATA {s[5]})", 5);
        BigEndian = s[5] == 2;
        if (s.Length < ElfConstants.HeaderSize)
            throw Error($"the ELF header needs {ElfConstants.HeaderSize} bytes, the file has {s.Length}", s.Length);
        bool be = BigEndian;
        Type = EndianReader.U16(s, 16, be);
        Machine = EndianReader.U16(s, 18, be);
        if (Machine != ElfConstants.MachineBpf)
            throw Error($"not a BPF object (e_machine {Machine}, expected {ElfConstants.MachineBpf})", 18);
        Flags = EndianReader.U32(s, 48, be);
        ulong shoff = EndianReader.U64(s, 40, be);
        ushort shentsize = EndianReader.U16(s, 58, be);
        ulong shnum = EndianReader.U16(s, 60, be);
        uint shstrndx = EndianReader.U16(s, 62, be);
        SectionHeaderOffset = (long)Math.Min(shoff, long.MaxValue);

        if (shoff == 0)
        {
            _sections = [];
            return;
        }
        if (shentsize != ElfConstants.SectionHeaderSize)
            throw Error($"section header size is {shentsize}, expected {ElfConstants.SectionHeaderSize}", 58);
        CheckRange(shoff, ElfConstants.SectionHeaderSize, "the first section header", 40);
        if (shnum == 0)
            shnum = EndianReader.U64(s, (int)shoff + 32, be); // extended numbering: count in section 0's sh_size
        if (shstrndx == ElfConstants.SectionIndexExtended)
            shstrndx = EndianReader.U32(s, (int)shoff + 40, be);
        if (shnum > (ulong)(s.Length / ElfConstants.SectionHeaderSize))
            throw Error($"{shnum} section headers cannot fit in a {s.Length}-byte file", 60);
        CheckRange(shoff, shnum * ElfConstants.SectionHeaderSize, $"{shnum} section headers", 40);

        _sections = new ElfSection[shnum];
        for (int i = 0; i < (int)shnum; i++)
        {
            int h = (int)shoff + i * ElfConstants.SectionHeaderSize;
            var type = (ElfSectionType)EndianReader.U32(s, h + 4, be);
            ulong offset = EndianReader.U64(s, h + 24, be), size = EndianReader.U64(s, h + 32, be);
            if (type != ElfSectionType.NoBits)
                CheckRange(offset, size, $"section {i}'s contents ({size} bytes at 0x{offset:x})", h + 24);
            _sections[i] = new ElfSection
            {
                Index = i,
                NameOffset = EndianReader.U32(s, h, be),
                Type = type,
                Flags = (ElfSectionFlags)EndianReader.U64(s, h + 8, be),
                Address = EndianReader.U64(s, h + 16, be),
                FileOffset = offset,
                Size = size,
                Link = EndianReader.U32(s, h + 40, be),
                Info = EndianReader.U32(s, h + 44, be),
                AddressAlign = EndianReader.U64(s, h + 48, be),
                EntrySize = EndianReader.U64(s, h + 56, be),
                HeaderOffset = h,
            };
        }

        if (shstrndx != 0)
        {
            if (shstrndx >= shnum)
                throw Error($"section name table index {shstrndx} is out of range ({shnum} sections)", 62);
            var names = _sections[shstrndx];
            if (names.Type == ElfSectionType.NoBits)
                throw Error("the section name table has no contents", names.HeaderOffset);
            for (int i = 0; i < _sections.Length; i++)
            {
                var old = _sections[i];
                _sections[i] = new ElfSection
                {
                    Index = i, NameOffset = old.NameOffset, Name = GetString(names, old.NameOffset, old.HeaderOffset),
                    Type = old.Type, Flags = old.Flags, Address = old.Address, FileOffset = old.FileOffset, Size = old.Size,
                    Link = old.Link, Info = old.Info, AddressAlign = old.AddressAlign, EntrySize = old.EntrySize,
                    HeaderOffset = old.HeaderOffset,
                };
            }
        }
        SectionNameTableIndex = (int)shstrndx;

        foreach (var section in _sections)
        {
            if (section.Type != ElfSectionType.SymTab)
                continue;
            Symbols = new ElfSymbolTable(this, section);
            break;
        }
    }

    /// <summary>Parses and validates the headers of an ELF64 BPF object.</summary>
    /// <param name="fileName">Used in error messages only.</param>
    public static ElfFile Parse(ReadOnlyMemory<byte> data, string? fileName = null) => new(data, fileName);

    public static ElfFile Load(string path) => Parse(File.ReadAllBytes(path), path);

    public ReadOnlyMemory<byte> Data { get; }
    public string? FileName { get; }
    public bool BigEndian { get; }
    /// <summary>e_type: 1 (ET_REL) for objects clang writes.</summary>
    public ushort Type { get; }
    public ushort Machine { get; }
    public uint Flags { get; }
    public long SectionHeaderOffset { get; }
    public int SectionNameTableIndex { get; }
    public IReadOnlyList<ElfSection> Sections => _sections;
    /// <summary>The .symtab, or null when the object has none.</summary>
    public ElfSymbolTable? Symbols { get; }

    /// <summary>The first section called <paramref name="name"/>, or null.</summary>
    public ElfSection? FindSection(string name)
    {
        if (_byName is null)
        {
            var map = new Dictionary<string, ElfSection>(StringComparer.Ordinal);
            foreach (var s in _sections)
                map.TryAdd(s.Name, s);
            _byName = map;
        }
        return _byName.GetValueOrDefault(name);
    }

    /// <summary>The section's bytes (empty for SHT_NOBITS), a slice of the input.</summary>
    public ReadOnlyMemory<byte> GetData(ElfSection section) =>
        section.Type is ElfSectionType.NoBits ? ReadOnlyMemory<byte>.Empty : Data.Slice((int)section.FileOffset, (int)section.Size);

    /// <summary>The relocation table of a SHT_REL/SHT_RELA section.</summary>
    public ElfRelocationTable GetRelocations(ElfSection relocationSection)
    {
        if (!relocationSection.IsRelocation)
            throw new ArgumentException($"section '{relocationSection.Name}' is not a relocation section", nameof(relocationSection));
        _relocations ??= new ElfRelocationTable?[_sections.Length];
        return _relocations[relocationSection.Index] ??= new ElfRelocationTable(this, relocationSection);
    }

    /// <summary>Every relocation section that applies to <paramref name="target"/>, in section order.</summary>
    public IEnumerable<ElfRelocationTable> RelocationsFor(ElfSection target)
    {
        foreach (var s in _sections)
            if (s.IsRelocation && s.Info == (uint)target.Index)
                yield return GetRelocations(s);
    }

    /// <summary>The NUL-terminated string at <paramref name="offset"/> of a string table section.</summary>
    public string GetString(ElfSection table, uint offset, long referencedFrom = -1)
    {
        var span = GetStringBytes(table, offset, referencedFrom);
        return System.Text.Encoding.UTF8.GetString(span);
    }

    /// <summary>The bytes of the NUL-terminated string at <paramref name="offset"/>, without the NUL.</summary>
    public ReadOnlySpan<byte> GetStringBytes(ElfSection table, uint offset, long referencedFrom = -1)
    {
        if (table.Type == ElfSectionType.NoBits || offset >= table.Size)
        {
            if (offset == 0 && table.Size == 0)
                return default;
            throw Error($"string offset {offset} is past the end of '{table.Name}' ({table.Size} bytes)", referencedFrom >= 0 ? referencedFrom : (long)table.FileOffset);
        }
        var bytes = Data.Span.Slice((int)table.FileOffset, (int)table.Size)[(int)offset..];
        int end = bytes.IndexOf((byte)0);
        if (end < 0)
            throw Error($"string at offset {offset} of '{table.Name}' is not NUL-terminated", (long)table.FileOffset + offset);
        return bytes[..end];
    }

    internal BpfFormatException Error(string message, long offset) => new(message, offset, FileName);

    private void CheckRange(ulong offset, ulong size, string what, long headerOffset)
    {
        ulong length = (ulong)Data.Length;
        if (offset > length || size > length - offset)
            throw Error($"{what} extends past the end of the file ({Data.Length} bytes)", headerOffset);
    }
}
