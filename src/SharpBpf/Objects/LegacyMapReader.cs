using SharpBpf.Elf;

namespace SharpBpf.Objects;

/// <summary>
/// Reads the legacy <c>maps</c> section: an array of <c>struct bpf_map_def</c> { type, key_size, value_size,
/// max_entries, map_flags, ... }. Loaders disagree on the struct's size (iproute2 adds fields), so each entry's
/// size is the section size divided by the number of map symbols in it, as libbpf did.
/// </summary>
internal static class LegacyMapReader
{
    private const string SectionName = "maps";

    public static void Read(ElfFile elf, ObjectSpec obj, Dictionary<(int, ulong), MapSpec> defined)
    {
        var section = elf.FindSection(SectionName);
        var symbols = elf.Symbols;
        if (section is null || symbols is null || section.Size == 0)
            return;
        var entries = new List<(ulong Offset, string Name, long Where)>();
        for (int i = 1; i < symbols.Count; i++)
        {
            var sym = symbols[i];
            if (sym.SectionIndex == section.Index && sym.Type != ElfSymbolType.Section)
                entries.Add((sym.Value, symbols.GetName(i), symbols.EntryOffset(i)));
        }
        if (entries.Count == 0)
            return;
        if (section.IsNoBits)
            throw new BpfFormatException($"the '{SectionName}' section has no contents (SHT_NOBITS)", section.HeaderOffset, elf.FileName);
        entries.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        ulong entrySize = section.Size / (ulong)entries.Count;
        if (entrySize < 4 || section.Size % (ulong)entries.Count != 0)
            throw new BpfFormatException($"the '{SectionName}' section ({section.Size} bytes) cannot hold {entries.Count} map definitions of equal size",
                section.HeaderOffset, elf.FileName);
        var data = elf.GetData(section).Span;
        foreach (var (offset, name, where) in entries)
        {
            if (offset % entrySize != 0 || offset + entrySize > section.Size)
                throw new BpfFormatException($"map '{name}' at offset {offset} of '{SectionName}' does not fit the {entrySize}-byte definitions", where, elf.FileName);
            var def = data.Slice((int)offset, (int)entrySize);
            var be = elf.BigEndian;
            var map = new MapSpec
            {
                Name = name,
                Type = (BpfMapType)Field(def, 0, be),
                KeySize = (int)Math.Min(Field(def, 1, be), int.MaxValue),
                ValueSize = (int)Math.Min(Field(def, 2, be), int.MaxValue),
                MaxEntries = (int)Math.Min(Field(def, 3, be), int.MaxValue),
                Flags = Field(def, 4, be),
            };
            if (entries.Count(e => e.Name == name) > 1 || obj.FindMap(name) is not null)
                throw new BpfFormatException($"map '{name}' is defined twice", where, elf.FileName);
            obj.Maps.Add(map);
            defined[(section.Index, offset)] = map;
        }
    }

    /// <summary>Field <paramref name="i"/> (u32) of a definition, 0 when the definition is shorter.</summary>
    private static uint Field(ReadOnlySpan<byte> def, int i, bool bigEndian) =>
        (i + 1) * 4 <= def.Length ? EndianReader.U32(def, i * 4, bigEndian) : 0;
}
