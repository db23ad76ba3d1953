using SharpBpf.Btf;
using SharpBpf.Elf;

namespace SharpBpf.Objects;

/// <summary>
/// Reads BTF-defined maps (the <c>.maps</c> section) and the layout of <c>__kconfig</c> externs, from the object's BTF.
/// A map is a variable of an anonymous struct whose members encode the definition:
/// <c>__uint(name, N)</c> is a pointer to an array of N elements, <c>__type(name, T)</c> a pointer to T,
/// <c>__array(values, T)</c> a zero-length array of pointers to T (the inner map's struct, or a function prototype).
/// </summary>
internal sealed class BtfMapReader
{
    private const string MapsSection = ".maps";
    private readonly ElfFile _elf;
    private readonly ObjectSpec _obj;
    private readonly BtfSpec? _btf;
    private readonly long _btfOffset;

    private BtfMapReader(ElfFile elf, ObjectSpec obj)
    {
        _elf = elf;
        _obj = obj;
        var section = elf.FindSection(".BTF");
        if (section is null || section.IsNoBits)
            return;
        _btfOffset = (long)section.FileOffset;
        try
        {
            _btf = BtfSpec.Parse(elf.GetData(section).Span);
        }
        catch (BpfFormatException e)
        {
            throw Rebase(e);
        }
    }

    /// <summary>Parses the object's BTF (if any) and adds every <c>.maps</c> map, with inner maps and <c>.values</c>.</summary>
    public static BtfSpec? Read(ElfFile elf, ObjectSpec obj, Dictionary<(int, ulong), MapSpec> defined)
    {
        var reader = new BtfMapReader(elf, obj);
        try
        {
            reader.ReadMaps(defined);
        }
        catch (BpfFormatException e) when (e.File is null)
        {
            throw reader.Rebase(e);
        }
        catch (Exception e) when (e is BpfException or ArgumentOutOfRangeException or OverflowException or InvalidCastException)
        {
            throw new BpfFormatException($"BTF map definitions: {e.Message}", reader._btfOffset, elf.FileName);
        }
        return reader._btf;
    }

    private void ReadMaps(Dictionary<(int, ulong), MapSpec> defined)
    {
        var section = _elf.FindSection(MapsSection);
        var symbols = _elf.Symbols;
        if (section is null || symbols is null)
            return;
        var mapSymbols = new List<(ulong Offset, ulong Size, string Name)>();
        for (int i = 1; i < symbols.Count; i++)
        {
            var sym = symbols[i];
            if (sym.SectionIndex == section.Index && sym.Type != ElfSymbolType.Section)
                mapSymbols.Add((sym.Value, sym.Size, symbols.GetName(i)));
        }
        if (mapSymbols.Count == 0)
            return;
        if (_btf is null)
            throw new BpfFormatException($"the object defines maps in '{MapsSection}' but has no .BTF section to describe them", section.HeaderOffset, _elf.FileName);

        var datasec = _btf.FindByName(MapsSection, BtfKind.Datasec).Select(id => (BtfDatasec)_btf[id]).FirstOrDefault()
            ?? throw new BpfFormatException($"the BTF has no DATASEC '{MapsSection}' describing its maps", _btfOffset, _elf.FileName);
        var maps = new List<(MapSpec Map, ulong Offset, BtfStruct Def)>();
        foreach (var info in datasec.Vars)
        {
            if (_btf[info.Type] is not BtfVar variable)
                throw new BpfFormatException($"DATASEC '{MapsSection}' entry {info.Type} is a {_btf[info.Type].Kind}, not a variable", _btfOffset, _elf.FileName);
            var symbol = mapSymbols.FindIndex(s => s.Name == variable.Name);
            if (symbol < 0)
                throw new BpfFormatException($"map '{variable.Name}' is in the BTF but has no symbol in '{MapsSection}'", _btfOffset, _elf.FileName);
            if (_btf[_btf.ResolveModifiers(variable.Type)] is not BtfStruct def)
                throw new BpfFormatException($"map '{variable.Name}' is not a struct in BTF", _btfOffset, _elf.FileName);
            var map = ParseDefinition(variable.Name, def, isInner: false);
            _obj.Maps.Add(map);
            var offset = mapSymbols[symbol].Offset;
            defined[(section.Index, offset)] = map;
            maps.Add((map, offset, def));
        }
        ReadSlotInitialisers(section, maps);
    }

    private MapSpec ParseDefinition(string name, BtfStruct def, bool isInner)
    {
        var map = new MapSpec { Name = name };
        foreach (var member in def.Members)
        {
            switch (member.Name)
            {
                case "type": map.Type = (BpfMapType)UInt(name, member); break;
                case "max_entries": map.MaxEntries = (int)Math.Min(UInt(name, member), int.MaxValue); break;
                case "map_flags": map.Flags = UInt(name, member); break;
                case "numa_node": map.NumaNode = (int)UInt(name, member); break;
                case "key_size": map.KeySize = (int)Math.Min(UInt(name, member), int.MaxValue); break;
                case "value_size": map.ValueSize = (int)Math.Min(UInt(name, member), int.MaxValue); break;
                case "map_extra": map.MapExtra = UInt(name, member); break;
                case "pinning":
                    if (isInner)
                        throw new BpfFormatException($"inner map '{name}' cannot be pinned", _btfOffset, _elf.FileName);
                    map.Pinning = UInt(name, member);
                    break;
                case "key":
                    map.BtfKeyTypeId = Pointee(name, member);
                    map.KeySize = (int)_btf!.SizeOf(map.BtfKeyTypeId);
                    break;
                case "value":
                    map.BtfValueTypeId = Pointee(name, member);
                    map.ValueSize = (int)_btf!.SizeOf(map.BtfValueTypeId);
                    break;
                case "values":
                    if (isInner)
                        throw new BpfFormatException($"inner map '{name}' cannot have 'values' (multi-level inner maps are not supported)", _btfOffset, _elf.FileName);
                    ParseValues(map, member);
                    break;
            }
        }
        return map;
    }

    /// <summary><c>__array(values, T)</c>: for maps of maps T is the inner map's definition; for prog arrays, a function prototype.</summary>
    private void ParseValues(MapSpec map, BtfMember member)
    {
        if (map.Type is not (BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps or BpfMapType.ProgArray))
            throw new BpfFormatException($"map '{map.Name}': 'values' is only allowed in maps of maps and prog arrays (this is {map.Type})", _btfOffset, _elf.FileName);
        var btf = _btf!;
        if (btf[btf.ResolveModifiers(member.Type)] is not BtfArray { Count: 0 } array)
            throw new BpfFormatException($"map '{map.Name}': 'values' must be a zero-length array", _btfOffset, _elf.FileName);
        if (btf[btf.ResolveModifiers(array.ElementType)] is not BtfPtr pointer)
            throw new BpfFormatException($"map '{map.Name}': 'values' must be an array of pointers", _btfOffset, _elf.FileName);
        var target = btf[btf.ResolveModifiers(pointer.Target)];
        if (map.Type == BpfMapType.ProgArray)
        {
            if (target is not BtfFuncProto)
                throw new BpfFormatException($"prog array '{map.Name}': 'values' must point to a function prototype", _btfOffset, _elf.FileName);
        }
        else
        {
            if (target is not BtfStruct inner)
                throw new BpfFormatException($"map '{map.Name}': 'values' must point to the inner map's struct", _btfOffset, _elf.FileName);
            map.InnerMap = ParseDefinition(map.Name + ".inner", inner, isInner: true);
        }
        map.ValueSize = 4;
    }

    /// <summary>The N of <c>__uint(name, N)</c>: a pointer to an array of N elements.</summary>
    private uint UInt(string map, BtfMember member)
    {
        var btf = _btf!;
        if (btf[btf.ResolveModifiers(member.Type)] is not BtfPtr pointer || btf[btf.ResolveModifiers(pointer.Target)] is not BtfArray array)
            throw new BpfFormatException($"map '{map}': '{member.Name}' is not a __uint() field (pointer to array)", _btfOffset, _elf.FileName);
        return array.Count;
    }

    /// <summary>The T of <c>__type(name, T)</c>: a pointer to T.</summary>
    private uint Pointee(string map, BtfMember member)
    {
        var btf = _btf!;
        if (btf[btf.ResolveModifiers(member.Type)] is not BtfPtr pointer)
            throw new BpfFormatException($"map '{map}': '{member.Name}' is not a __type() field (pointer)", _btfOffset, _elf.FileName);
        return pointer.Target;
    }

    /// <summary><c>.values = { [i] = &amp;x }</c> become R_BPF_64_ABS64 relocations in .rel.maps at the slot's address.</summary>
    private void ReadSlotInitialisers(ElfSection section, List<(MapSpec Map, ulong Offset, BtfStruct Def)> maps)
    {
        var symbols = _elf.Symbols!;
        foreach (var table in _elf.RelocationsFor(section))
        {
            for (int r = 0; r < table.Count; r++)
            {
                var rel = table[r];
                long where = table.EntryOffset(r);
                var owner = maps.Where(m => m.Offset <= rel.Offset).OrderByDescending(m => m.Offset).FirstOrDefault();
                var values = owner.Def?.Members.FirstOrDefault(m => m.Name == "values");
                if (owner.Map is null || values is null)
                    throw new BpfFormatException($"relocation {r} of '{table.Section.Name}' at 0x{rel.Offset:x} is not inside a map's 'values'", where, _elf.FileName);
                ulong start = owner.Offset + values.BitOffset / 8;
                if (rel.Offset < start || (rel.Offset - start) % 8 != 0)
                    throw new BpfFormatException($"relocation {r} of '{table.Section.Name}' at 0x{rel.Offset:x} is not a slot of map '{owner.Map.Name}'", where, _elf.FileName);
                if (rel.SymbolIndex == 0)
                    throw new BpfFormatException($"relocation {r} of '{table.Section.Name}' has no symbol", where, _elf.FileName);
                int slot = (int)Math.Min((rel.Offset - start) / 8, int.MaxValue);
                if (owner.Map.MaxEntries > 0 && slot >= owner.Map.MaxEntries)
                    throw new BpfFormatException($"map '{owner.Map.Name}': slot {slot} is beyond max_entries {owner.Map.MaxEntries}", where, _elf.FileName);
                owner.Map.Contents.Add(new MapSlotInit(slot, symbols.GetName(rel.SymbolIndex)));
            }
        }
    }

    /// <summary>Lays out the <c>__kconfig</c> externs as libbpf does (larger alignment first, then smaller size, then name) and adds the .kconfig map.</summary>
    public static void LayOutExterns(ElfFile elf, ObjectSpec obj, BtfSpec? btf)
    {
        if (obj.Externs.Count == 0)
            return;
        var kconfig = new List<(ExternSpec Ext, int Align)>();
        for (int i = 0; i < obj.Externs.Count; i++)
        {
            var ext = obj.Externs[i];
            if (ext.Kind == ExternKind.Kfunc || btf is null)
                continue;
            var (kind, size, align) = Describe(btf, ext.Name);
            obj.Externs[i] = ext = ext with { Kind = kind, Size = size };
            if (kind == ExternKind.Kconfig)
                kconfig.Add((ext, align));
        }
        kconfig.Sort((a, b) => a.Align != b.Align ? b.Align.CompareTo(a.Align)
            : a.Ext.Size != b.Ext.Size ? a.Ext.Size.CompareTo(b.Ext.Size)
            : string.CompareOrdinal(a.Ext.Name, b.Ext.Name));
        int offset = 0;
        foreach (var (ext, align) in kconfig)
        {
            offset = (offset + align - 1) / align * align;
            obj.Externs[obj.Externs.IndexOf(ext)] = ext with { Offset = offset };
            offset += ext.Size;
        }
        if (kconfig.Count > 0)
        {
            obj.Maps.Add(new MapSpec
            {
                Name = ObjectReader.InternalMapName(obj.Name, ".kconfig"),
                Type = BpfMapType.Array,
                KeySize = 4,
                ValueSize = offset,
                MaxEntries = 1,
                // Its DATASEC holds extern (non-static) variables, so libbpf also makes it mmap-able.
                Flags = ObjectReader.ReadOnlyProgFlag | ObjectReader.MmapableFlag,
                InitialValue = new byte[offset],
                DataSection = ".kconfig",
            });
        }
    }

    private static (ExternKind Kind, int Size, int Align) Describe(BtfSpec btf, string name)
    {
        foreach (var section in new[] { ".kconfig", ".ksyms" })
        {
            foreach (var id in btf.FindByName(section, BtfKind.Datasec))
            {
                foreach (var info in ((BtfDatasec)btf[id]).Vars)
                {
                    if (btf[info.Type] is BtfVar v && v.Name == name)
                        return section == ".kconfig" ? (ExternKind.Kconfig, (int)btf.SizeOf(v.Type), AlignOf(btf, v.Type)) : (ExternKind.Ksym, 0, 1);
                    if (btf[info.Type] is BtfFunc f && f.Name == name)
                        return (ExternKind.Kfunc, 0, 1);
                }
            }
        }
        return (ExternKindOf(name), 0, 1);
    }

    private static int AlignOf(BtfSpec btf, uint id, int nesting = 0)
    {
        if (nesting > 32)
            throw new BpfFormatException($"BTF type {id} nests too deeply (a loop?)");
        for (int depth = 0; depth < 64; depth++)
        {
            switch (btf[btf.ResolveModifiers(id)])
            {
                case BtfInt t: return (int)Math.Clamp(t.Size, 1, 8);
                case BtfEnumBase t: return (int)Math.Clamp(t.Size, 1, 8);
                case BtfFloat t: return (int)Math.Clamp(t.Size, 1, 8);
                case BtfPtr: return 8;
                case BtfArray a: id = a.ElementType; break;
                case BtfComposite c: return c.Members.Count == 0 ? 1 : c.Members.Max(m => AlignOf(btf, m.Type, nesting + 1));
                default: return 1;
            }
        }
        return 1;
    }

    /// <summary>Without BTF, extern variables named like kconfig options are taken as kconfig, others as kernel symbols.</summary>
    public static ExternKind ExternKindOf(string name) =>
        name.StartsWith("CONFIG_", StringComparison.Ordinal) || name.StartsWith("LINUX_", StringComparison.Ordinal) ? ExternKind.Kconfig : ExternKind.Ksym;

    /// <summary>A BTF-relative error re-stated at its file offset.</summary>
    private BpfFormatException Rebase(BpfFormatException e)
    {
        var message = e.Message;
        var suffix = $" (at file offset 0x{e.Offset:x})";
        if (e.Offset >= 0 && message.EndsWith(suffix, StringComparison.Ordinal))
            message = message[..^suffix.Length];
        return new BpfFormatException(".BTF: " + message, e.Offset >= 0 ? _btfOffset + e.Offset : _btfOffset, _elf.FileName);
    }
}
