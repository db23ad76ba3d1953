using SharpBpf.Btf;
using SharpBpf.Elf;
using SharpBpf.Isa;

namespace SharpBpf.Objects;

/// <summary>Turns an <see cref="ElfFile"/> into an <see cref="ObjectSpec"/>: functions, maps, global data, relocations.</summary>
internal sealed class ObjectReader
{
    /// <summary>BPF_F_RDONLY_PROG: programs may only read the map.</summary>
    public const uint ReadOnlyProgFlag = 1u << 7;
    /// <summary>BPF_F_MMAPABLE: user space may mmap the array.</summary>
    public const uint MmapableFlag = 1u << 10;

    private readonly ElfFile _elf;
    private readonly ObjectSpec _obj;
    private readonly ElfSymbolTable? _symbols;
    /// <summary>Functions of each executable section, sorted by offset.</summary>
    private readonly Dictionary<int, List<ProgramSpec>> _functions = [];
    /// <summary>Maps defined by a symbol: (section index, byte offset) → map.</summary>
    private readonly Dictionary<(int Section, ulong Offset), MapSpec> _definedMaps = [];
    /// <summary>Global data maps by section index.</summary>
    private readonly Dictionary<int, MapSpec> _dataMaps = [];

    private ObjectReader(ElfFile elf)
    {
        _elf = elf;
        _symbols = elf.Symbols;
        _obj = new ObjectSpec(elf, ObjectName(elf.FileName));
    }

    public static ObjectSpec Read(ElfFile elf)
    {
        var reader = new ObjectReader(elf);
        reader.ReadAll();
        return reader._obj;
    }

    /// <summary>libbpf's object name: the file's base name up to its first '.', at most 15 characters.</summary>
    internal static string ObjectName(string? fileName)
    {
        if (string.IsNullOrEmpty(fileName))
            return "";
        var name = Path.GetFileName(fileName);
        int dot = name.IndexOf('.');
        if (dot >= 0)
            name = name[..dot];
        return name.Length > 15 ? name[..15] : name;
    }

    private void ReadAll()
    {
        if (_elf.Type != ElfConstants.TypeRelocatable)
            throw Error($"not a relocatable object (e_type {_elf.Type}); BPF objects are ET_REL", 16);
        ReadLicenseAndVersion();
        if (_elf.FindSection(".BTF") is { } btfSection)
            _obj.Btf = _elf.GetData(btfSection);
        if (_elf.FindSection(".BTF.ext") is { } btfExt)
            _obj.BtfExt = _elf.GetData(btfExt);
        if (_symbols is null)
        {
            if (_elf.Sections.Any(s => s.IsExecutable && s.Size > 0))
                throw Error("the object has code but no symbol table (stripped?)", _elf.SectionHeaderOffset);
            return;
        }
        ReadFunctions();
        LegacyMapReader.Read(_elf, _obj, _definedMaps);
        var btf = BtfMapReader.Read(_elf, _obj, _definedMaps);
        _obj.BtfTypes = btf;
        if (btf is not null && _obj.BtfExt is { } ext)
            ReadBtfExt(ext, btf);
        ReadGlobalData();
        foreach (var section in _elf.Sections)
            if (section.IsRelocation && section.Info < _elf.Sections.Count && _functions.ContainsKey((int)section.Info))
                ReadRelocations(_elf.GetRelocations(section));
        foreach (var functions in _functions.Values)
            foreach (var f in functions)
                AddUnrelocatedCalls(f);
        try
        {
            BtfMapReader.LayOutExterns(_elf, _obj, btf);
        }
        catch (Exception e) when (e is BpfException and not BpfFormatException or ArgumentOutOfRangeException or OverflowException)
        {
            throw Error($"BTF of extern variables: {e.Message}", (long)(_elf.FindSection(".BTF")?.FileOffset ?? 0));
        }
        ResolveExternReferences();
        foreach (var p in _obj.Programs.Concat(_obj.Subprograms))
        {
            p.License = _obj.License;
            p.KernelVersion = _obj.KernelVersion;
            p.Relocations.Sort((a, b) => a.InstructionIndex.CompareTo(b.InstructionIndex));
        }
    }

    /// <summary>Hands each function its .BTF.ext records (func_info, line_info, CO-RE), offsets re-based to the function in instructions.</summary>
    private void ReadBtfExt(ReadOnlyMemory<byte> bytes, BtfSpec btf)
    {
        var section = _elf.FindSection(".BTF.ext")!;
        BtfExt ext;
        try
        {
            ext = BtfExt.Parse(bytes.Span, btf);
        }
        catch (BpfFormatException e)
        {
            var message = e.Message;
            var suffix = $" (at file offset 0x{e.Offset:x})";
            if (e.Offset >= 0 && message.EndsWith(suffix, StringComparison.Ordinal))
                message = message[..^suffix.Length];
            throw Error(message, (long)section.FileOffset + Math.Max(e.Offset, 0));
        }
        catch (Exception e) when (e is BpfException or ArgumentException or OverflowException)
        {
            throw Error($".BTF.ext: {e.Message}", (long)section.FileOffset);
        }
        _obj.ParsedBtfExt = ext;
        Distribute(ext.FuncInfos, r => r.InstructionOffset, (f, r, at) => f.FuncInfos.Add(r with { InstructionOffset = at }), section);
        Distribute(ext.LineInfos, r => r.InstructionOffset, (f, r, at) => f.LineInfos.Add(r with { InstructionOffset = at }), section);
        Distribute(ext.CoreRelocations, r => r.InstructionOffset, (f, r, at) => f.CoreRelocations.Add(r with { InstructionOffset = at }), section);
    }

    private void Distribute<T>(IReadOnlyList<BtfExtSection<T>> sections, Func<T, uint> byteOffset, Action<ProgramSpec, T, uint> add, ElfSection ext)
    {
        foreach (var part in sections)
        {
            var target = _elf.FindSection(part.SectionName);
            if (target is null || !_functions.TryGetValue(target.Index, out var functions))
                throw Error($".BTF.ext refers to section '{part.SectionName}', which has no functions", ext.HeaderOffset);
            foreach (var record in part.Records)
            {
                uint bytes = byteOffset(record);
                var function = bytes % Instruction.Size == 0 ? FunctionAt(functions, (int)Math.Min(bytes / Instruction.Size, int.MaxValue)) : null;
                if (function is null)
                    throw Error($".BTF.ext record at byte {bytes} of '{part.SectionName}' is not inside a function", ext.HeaderOffset);
                add(function, record, (uint)((int)(bytes / Instruction.Size) - function.SectionOffset));
            }
        }
    }

    private void ReadLicenseAndVersion()
    {
        if (_elf.FindSection("license") is { } license)
        {
            var bytes = _elf.GetData(license).Span;
            int nul = bytes.IndexOf((byte)0);
            _obj.License = System.Text.Encoding.UTF8.GetString(nul >= 0 ? bytes[..nul] : bytes);
        }
        if (_elf.FindSection("version") is { } version)
        {
            var bytes = _elf.GetData(version).Span;
            if (bytes.Length != 4)
                throw Error($"the 'version' section has {bytes.Length} bytes, expected 4", version.HeaderOffset);
            _obj.KernelVersion = EndianReader.U32(bytes, 0, _elf.BigEndian);
        }
    }

    private void ReadFunctions()
    {
        var symbols = _symbols!;
        var bySection = new Dictionary<int, List<(ElfSymbol Symbol, string Name)>>();
        for (int i = 1; i < symbols.Count; i++)
        {
            var sym = symbols[i];
            if (sym.Type != ElfSymbolType.Func || !sym.IsInSection)
                continue;
            var section = _elf.Sections[sym.SectionIndex];
            if (!section.IsExecutable || section.IsNoBits)
                continue;
            if (!bySection.TryGetValue(sym.SectionIndex, out var list))
                bySection[sym.SectionIndex] = list = [];
            list.Add((sym, symbols.GetName(i)));
        }

        foreach (var (sectionIndex, list) in bySection.OrderBy(kv => kv.Key))
        {
            var section = _elf.Sections[sectionIndex];
            list.Sort((a, b) => a.Symbol.Value.CompareTo(b.Symbol.Value));
            var code = _elf.GetData(section).Span;
            var functions = new List<ProgramSpec>();
            for (int i = 0; i < list.Count; i++)
            {
                var (sym, name) = list[i];
                ulong start = sym.Value;
                ulong end = sym.Size != 0 ? start + sym.Size : i + 1 < list.Count ? list[i + 1].Symbol.Value : section.Size;
                long where = symbols.EntryOffset(sym.Index);
                if (start % Instruction.Size != 0 || end % Instruction.Size != 0)
                    throw Error($"function '{name}' at 0x{start:x} (size {sym.Size}) in '{section.Name}' is not aligned to instructions", where);
                if (start > section.Size || end > section.Size || end < start)
                    throw Error($"function '{name}' (0x{start:x}..0x{end:x}) lies outside section '{section.Name}' ({section.Size} bytes)", where);
                if (i > 0 && functions.Count > 0 && (ulong)functions[^1].SectionOffset * Instruction.Size == start)
                    continue; // an alias of the previous function
                var instructions = Instruction.ReadAll(code[(int)start..(int)end], _elf.BigEndian);
                var spec = new ProgramSpec
                {
                    Name = name,
                    // SEC("?xdp") means "don't autoload"; like libbpf, the program's section name drops the '?'.
                    SectionName = section.Name.StartsWith('?') ? section.Name[1..] : section.Name,
                    Autoload = !section.Name.StartsWith('?'),
                    Instructions = instructions,
                    SectionOffset = (int)(start / Instruction.Size),
                };
                bool isProgram = section.Name != ".text" && sym.IsGlobal;
                if (isProgram)
                {
                    DescribeProgramType(spec);
                    _obj.Programs.Add(spec);
                }
                else
                {
                    _obj.Subprograms.Add(spec);
                }
                functions.Add(spec);
            }
            _functions[sectionIndex] = functions;
        }
    }

    private static void DescribeProgramType(ProgramSpec spec)
    {
        var def = SectionDefinitions.Find(spec.SectionName);
        if (def is null)
            return;
        spec.Type = def.Type;
        spec.ExpectedAttachType = def.AttachType ?? default;
        spec.AttachTarget = SectionDefinitions.AttachTarget(spec.SectionName);
        spec.Sleepable = (def.Flags & SectionFlags.Sleepable) != 0;
        if ((def.Flags & SectionFlags.Sleepable) != 0)
            spec.ProgramFlags |= SectionDefinitions.SleepableFlag;
        if ((def.Flags & SectionFlags.XdpFrags) != 0)
            spec.ProgramFlags |= SectionDefinitions.XdpHasFragsFlag;
    }

    private void ReadGlobalData()
    {
        var symbols = _symbols!;
        foreach (var section in _elf.Sections)
        {
            if (section.Size == 0 || !IsGlobalDataSection(section))
                continue;
            bool readOnly = section.Name.StartsWith(".rodata", StringComparison.Ordinal);
            uint flags = readOnly ? ReadOnlyProgFlag : 0;
            if (IsMmapable(_obj.BtfTypes, symbols, section))
                flags |= MmapableFlag;
            if (section.Size > int.MaxValue)
                throw Error($"data section '{section.Name}' is too large ({section.Size} bytes)", section.HeaderOffset);
            var value = section.IsNoBits ? new byte[section.Size] : _elf.GetData(section).ToArray();
            var map = new MapSpec
            {
                Name = InternalMapName(_obj.Name, section.Name),
                Type = BpfMapType.Array,
                KeySize = 4,
                ValueSize = (int)section.Size,
                MaxEntries = 1,
                Flags = flags,
                InitialValue = value,
                DataSection = section.Name,
            };
            _obj.Maps.Add(map);
            _dataMaps[section.Index] = map;
            AddVariables(symbols, section, map);
        }
    }

    private void AddVariables(ElfSymbolTable symbols, ElfSection section, MapSpec map)
    {
        for (int i = 1; i < symbols.Count; i++)
        {
            var sym = symbols[i];
            if (sym.SectionIndex != section.Index || sym.Type != ElfSymbolType.Object)
                continue;
            if (sym.Value > section.Size || sym.Size > section.Size - sym.Value)
                throw Error($"variable '{symbols.GetName(i)}' (0x{sym.Value:x}, {sym.Size} bytes) lies outside '{section.Name}' ({section.Size} bytes)", symbols.EntryOffset(i));
            _obj.Variables.Add(new GlobalVariable(symbols.GetName(i), map, (int)sym.Value, (int)sym.Size, !sym.IsGlobal || (sym.Other & 3) != 0));
        }
    }

    /// <summary>.data, .data.*, .rodata, .rodata.* (PROGBITS) and .bss, .bss.* (NOBITS), as libbpf recognises them.</summary>
    internal static bool IsGlobalDataSection(ElfSection section)
    {
        static bool Named(string name, string stem) =>
            name == stem || name.StartsWith(stem + ".", StringComparison.Ordinal);
        if (section.Type == ElfSectionType.ProgBits && !section.IsExecutable)
            return Named(section.Name, ".data") || Named(section.Name, ".rodata");
        return section.Type == ElfSectionType.NoBits && Named(section.Name, ".bss");
    }

    /// <summary>libbpf makes a data map mmap-able when a non-static variable lives in it (a global, default-visibility symbol).</summary>
    /// <summary>libbpf 1.1's <c>map_is_mmapable</c>: the section's DATASEC holds a variable that is neither static nor,
    /// by its ELF symbol, hidden or internal (libbpf's DATASEC fixup turns those static first). No BTF, not mmap-able.</summary>
    private static bool IsMmapable(BtfSpec? btf, ElfSymbolTable symbols, ElfSection section)
    {
        if (btf is null)
            return false;
        foreach (var id in btf.FindByName(section.Name, BtfKind.Datasec))
            return ((BtfDatasec)btf[id]).Vars.Any(v => btf[v.Type] is BtfVar { Linkage: not BtfVarLinkage.Static } variable
                && !IsHidden(symbols, section.Index, variable.Name));
        return false;
    }

    /// <summary>STV_HIDDEN or STV_INTERNAL.</summary>
    private static bool IsHidden(ElfSymbolTable symbols, int sectionIndex, string name)
    {
        for (int i = 1; i < symbols.Count; i++)
            if (symbols[i].SectionIndex == sectionIndex && symbols.GetName(i) == name)
                return (symbols[i].Other & 3) is 1 or 2;
        return false;
    }

    /// <summary>libbpf's name for a global data map: as much of the object name as fits before the section name
    /// (which gets at least 7 characters) in 15 characters; ".data.custom"-style names are used alone.</summary>
    public static string InternalMapName(string objectName, string sectionName)
    {
        const int maxName = 15;
        int suffix = Math.Min(Math.Max(7, sectionName.Length), maxName);
        int prefix = sectionName.IndexOf('.', 1) >= 0 ? 0 : Math.Min(maxName - suffix, objectName.Length);
        var name = string.Concat(objectName.AsSpan(0, prefix), sectionName.AsSpan(0, Math.Min(suffix, sectionName.Length)));
        return string.Create(name.Length, name, (span, n) =>
        {
            for (int i = 0; i < n.Length; i++)
                span[i] = char.IsAsciiLetterOrDigit(n[i]) || n[i] is '_' or '.' ? n[i] : '_';
        });
    }

    private void ReadRelocations(ElfRelocationTable table)
    {
        var section = table.Target;
        var functions = _functions[section.Index];
        var symbols = _symbols!;
        for (int r = 0; r < table.Count; r++)
        {
            var rel = table[r];
            long where = table.EntryOffset(r);
            if (rel.Offset % Instruction.Size != 0 || rel.Offset >= section.Size)
                throw Error($"relocation {r} of '{table.Section.Name}' points at 0x{rel.Offset:x}, not an instruction of '{section.Name}'", where);
            int slot = (int)(rel.Offset / Instruction.Size);
            var function = FunctionAt(functions, slot)
                ?? throw Error($"relocation {r} of '{table.Section.Name}' points at 0x{rel.Offset:x}, outside every function of '{section.Name}'", where);
            int index = slot - function.SectionOffset;
            var insn = function.Instructions[index];
            if (rel.SymbolIndex == 0)
                throw Error($"relocation {r} of '{table.Section.Name}' has no symbol", where + 8);
            var sym = symbols[rel.SymbolIndex];
            var name = symbols.GetName(rel.SymbolIndex);
            // REL keeps the addend in the instruction's immediate (as clang writes BPF objects); RELA carries its own.
            long addend = table.IsRela ? rel.Addend : insn.Imm;
            function.Relocations.Add(Classify(function, index, insn, sym, name, addend, where));
        }
    }

    private Relocation Classify(ProgramSpec function, int index, Instruction insn, ElfSymbol sym, string symbolName, long addend, long where)
    {
        bool isCall = insn.Opcode == Opcodes.Call;
        bool isLoad = insn.Opcode == Opcodes.LdDw;
        string at = $"instruction {index} of '{function.Name}'";
        if (!isCall && !isLoad)
            throw Error($"relocation against '{symbolName}' at {at} applies to opcode 0x{insn.Opcode:x2}, not a call or ld_imm64", where);
        if (isLoad && index + 1 >= function.Instructions.Length)
            throw Error($"relocation against '{symbolName}' at {at}: ld_imm64 is truncated", where);

        if (sym.IsUndefined)
        {
            if (!sym.IsGlobal)
                throw Error($"relocation at {at} refers to undefined local symbol '{symbolName}'", where);
            return Extern(index, symbolName, isCall, sym.Binding == ElfSymbolBinding.Weak);
        }
        if (!sym.IsInSection)
            throw Error($"relocation at {at} refers to '{symbolName}' in special section 0x{sym.SectionIndex:x} (an uninitialised global?)", where);

        var targetSection = _elf.Sections[sym.SectionIndex];
        if (isCall)
        {
            if (insn.Src != PseudoSource.Call)
                throw Error($"relocation against '{symbolName}' at {at}: a call relocation needs src_reg 1 (bpf-to-bpf call), got {insn.Src}", where);
            if (sym.Value % Instruction.Size != 0)
                throw Error($"call at {at} targets '{symbolName}' at unaligned offset 0x{sym.Value:x}", where);
            long target = (long)(sym.Value / Instruction.Size) + addend + 1;
            return Call(index, targetSection, target, isAddress: false, at, where);
        }
        if (targetSection.IsExecutable)
        {
            long bytes = (long)sym.Value + addend;
            if (bytes % Instruction.Size != 0)
                throw Error($"function address at {at} targets unaligned offset 0x{bytes:x} of '{targetSection.Name}'", where);
            return Call(index, targetSection, bytes / Instruction.Size, isAddress: true, at, where);
        }
        if (_dataMaps.TryGetValue(targetSection.Index, out var data))
        {
            long offset = (long)sym.Value + addend;
            if (offset < 0 || offset > data.ValueSize)
                throw Error($"reference at {at} to '{symbolName}' + {addend} lies outside '{targetSection.Name}' ({data.ValueSize} bytes)", where);
            return new MapValueReference(index, data.Name, (int)offset);
        }
        if (_definedMaps.TryGetValue((targetSection.Index, sym.Value), out var map))
            return new MapReference(index, map.Name);
        throw Error($"relocation at {at} refers to '{symbolName}' in section '{targetSection.Name}', which holds no map, data or code", where);
    }

    private SubprogramCall Call(int index, ElfSection section, long target, bool isAddress, string at, long where)
    {
        if (!_functions.TryGetValue(section.Index, out var functions) || target < 0 || FunctionAt(functions, (int)Math.Min(target, int.MaxValue)) is not { } callee
            || callee.SectionOffset != target)
            throw Error($"{(isAddress ? "function address" : "call")} at {at} targets instruction {target} of '{section.Name}', which starts no function", where);
        return new SubprogramCall(index, callee.Name, callee.SectionName, (int)target, isAddress);
    }

    /// <summary>Records the extern; the reference is a placeholder until <see cref="ResolveExternReferences"/> knows its kind and offset.</summary>
    private Relocation Extern(int index, string name, bool isCall, bool weak)
    {
        if (!_obj.Externs.Exists(e => e.Name == name))
            _obj.Externs.Add(new ExternSpec(name, isCall ? ExternKind.Kfunc : BtfMapReader.ExternKindOf(name), -1, 0, weak));
        return isCall ? new KfuncCall(index, name) : new KsymReference(index, name);
    }

    private void ResolveExternReferences()
    {
        foreach (var function in _obj.Programs.Concat(_obj.Subprograms))
        {
            var relocations = function.Relocations;
            for (int i = 0; i < relocations.Count; i++)
            {
                if (relocations[i] is not KsymReference placeholder)
                    continue;
                var ext = _obj.Externs.Find(e => e.Name == placeholder.Symbol)!;
                relocations[i] = ext.Kind switch
                {
                    ExternKind.Kconfig => new KconfigReference(placeholder.InstructionIndex, ext.Name, ext.Offset),
                    ExternKind.Kfunc => throw Error($"'{function.Name}' loads the address of kernel function '{ext.Name}' with ld_imm64", -1),
                    _ => placeholder,
                };
            }
        }
    }

    /// <summary>bpf-to-bpf calls (and function addresses) within one section need no relocation: the immediate is already relative.</summary>
    private void AddUnrelocatedCalls(ProgramSpec function)
    {
        var section = _elf.FindSection(function.SectionName)!;
        var insns = function.Instructions;
        for (int i = 0; i < insns.Length; i++)
        {
            var insn = insns[i];
            bool call = insn.Opcode == Opcodes.Call && insn.Src == PseudoSource.Call;
            bool addr = insn.Opcode == Opcodes.LdDw && insn.Src == PseudoSource.Func;
            if ((call || addr) && !function.Relocations.Exists(r => r.InstructionIndex == i))
            {
                long target = function.SectionOffset + i + (long)insn.Imm + 1;
                function.Relocations.Add(Call(i, section, target, addr, $"instruction {i} of '{function.Name}'", (long)section.FileOffset + (function.SectionOffset + i) * 8L));
            }
            if (insn.Opcode == Opcodes.LdDw)
                i++;
        }
    }

    private static ProgramSpec? FunctionAt(List<ProgramSpec> functions, int slot)
    {
        int lo = 0, hi = functions.Count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (functions[mid].SectionOffset <= slot) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        if (found < 0)
            return null;
        var f = functions[found];
        return slot < f.SectionOffset + f.Instructions.Length ? f : null;
    }

    private BpfFormatException Error(string message, long offset) => new(message, offset, _elf.FileName);
}
