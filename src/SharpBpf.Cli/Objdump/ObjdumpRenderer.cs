using SharpBpf.Objects;
using SharpBpf.Elf;
using SharpBpf.Isa;
using SharpBpf.Isa.Disassembly;

namespace SharpBpf.Cli.Objdump;

/// <summary>
/// Renders a BPF ELF object exactly as llvm-objdump 14 does with -h, -t, -r, -s and -d (with raw bytes or not,
/// immediates in hex or not, relocations interleaved), section by section in llvm-objdump's order.
/// </summary>
public sealed class ObjdumpRenderer
{
    private readonly ElfFile _elf;
    private readonly ObjdumpOptions _options;
    private readonly OutputBuffer _out;
    private readonly LlvmDisassemblyOptions _disasm;

    private ObjdumpRenderer(ElfFile elf, ObjdumpOptions options, TextWriter output)
    {
        _elf = elf;
        _options = options;
        _out = new OutputBuffer(output);
        _disasm = options.PrintImmHex ? LlvmDisassemblyOptions.ImmHex : LlvmDisassemblyOptions.None;
    }

    /// <summary>Writes the listing of <paramref name="elf"/>; <paramref name="displayName"/> is the file name as given on the command line.</summary>
    public static void Render(ElfFile elf, string displayName, ObjdumpOptions options, TextWriter output)
    {
        var renderer = new ObjdumpRenderer(elf, options, output);
        try
        {
            renderer.RenderAll(displayName);
        }
        finally
        {
            renderer._out.Flush();
        }
    }

    /// <summary>Renders to a string (for tests and small objects).</summary>
    public static string Render(ElfFile elf, string displayName, ObjdumpOptions options)
    {
        var writer = new StringWriter();
        Render(elf, displayName, options, writer);
        return writer.ToString();
    }

    private void RenderAll(string displayName)
    {
        _out.Append('\n');
        _out.Append(displayName);
        _out.Append(":\tfile format elf64-bpf\n");
        if (_options.SectionHeaders)
            SectionHeaders();
        if (_options.SymbolTable)
            SymbolTable();
        if (_options.Relocations && !_options.Disassemble)
            RelocationTables();
        if (_options.SectionContents)
            SectionContents();
        if (_options.Disassemble)
            Disassembly();
    }

    private bool Keep(ElfSection section) => _options.Sections.Count == 0 || _options.Sections.Contains(section.Name);

    private void SectionHeaders()
    {
        int nameWidth = 13;
        foreach (var s in _elf.Sections)
            if (Keep(s))
                nameWidth = Math.Max(nameWidth, s.Name.Length);
        _out.Append("\nSections:\nIdx ");
        _out.Padded("Name", nameWidth);
        _out.Append(" Size     VMA              Type\n");
        foreach (var s in _elf.Sections)
        {
            if (!Keep(s))
                continue;
            _out.DecimalRight(s.Index, 3);
            _out.Append(' ');
            _out.Padded(s.Name, nameWidth);
            _out.Append(' ');
            _out.Hex(s.Size, 8);
            _out.Append(' ');
            _out.Hex(s.Address, 16);
            _out.Append(' ');
            _out.Append(SectionKinds(s));
            _out.Append('\n');
        }
    }

    /// <summary>llvm-objdump's Type column: TEXT, DATA, BSS, DEBUG, joined with ", ".</summary>
    private static string SectionKinds(ElfSection s)
    {
        bool text = s.IsExecutable;
        bool data = s.IsAllocated && !s.IsExecutable && !s.IsNoBits;
        bool bss = s.IsAllocated && s.IsNoBits;
        bool debug = s.Name.StartsWith(".debug", StringComparison.Ordinal) || s.Name.StartsWith(".zdebug", StringComparison.Ordinal) || s.Name == ".gdb_index";
        var parts = new List<string>(2);
        if (text) parts.Add("TEXT");
        if (data) parts.Add("DATA");
        if (bss) parts.Add("BSS");
        if (debug) parts.Add("DEBUG");
        return string.Join(", ", parts);
    }

    private void SymbolTable()
    {
        _out.Append("\nSYMBOL TABLE:\n");
        var symbols = _elf.Symbols;
        if (symbols is null)
            return;
        for (int i = 1; i < symbols.Count; i++)
        {
            var sym = symbols[i];
            bool weak = sym.Binding == ElfSymbolBinding.Weak;
            bool inSection = sym.IsInSection;
            char globLoc = ' ';
            if ((inSection || sym.IsAbsolute) && !weak)
                globLoc = sym.IsGlobal ? 'g' : 'l';
            if (sym.Binding == ElfSymbolBinding.GnuUnique)
                globLoc = 'u';
            _out.Hex(SymbolAddress(sym), 16);
            _out.Append(' ');
            _out.Append(globLoc);
            _out.Append(weak ? 'w' : ' ');
            _out.Append(' ');
            _out.Append(' ');
            _out.Append(sym.Type == ElfSymbolType.GnuIfunc ? 'i' : ' ');
            _out.Append(sym.Type is ElfSymbolType.Section or ElfSymbolType.File ? 'd' : ' ');
            _out.Append(sym.Type switch
            {
                ElfSymbolType.File => 'f',
                ElfSymbolType.Func => 'F',
                ElfSymbolType.Object or ElfSymbolType.Common => 'O',
                _ => ' ',
            });
            _out.Append(' ');
            if (sym.IsAbsolute)
                _out.Append("*ABS*");
            else if (sym.IsCommon)
                _out.Append("*COM*");
            else if (!inSection)
                _out.Append("*UND*");
            else
                _out.Append(_elf.Sections[sym.SectionIndex].Name);
            _out.Append('\t');
            _out.Hex(sym.IsCommon ? sym.Value : sym.Size, 16);
            switch (sym.Other)
            {
                case 0: break;
                case 1: _out.Append(" .internal"); break;
                case 2: _out.Append(" .hidden"); break;
                case 3: _out.Append(" .protected"); break;
                default: _out.Append(" 0x"); _out.Hex(sym.Other, 2); break;
            }
            _out.Append(' ');
            _out.Append(symbols.GetDisplayName(i));
            _out.Append('\n');
        }
    }

    private ulong SymbolAddress(ElfSymbol sym) =>
        sym.Value + (sym.IsInSection && !sym.IsAbsolute && !sym.IsCommon ? _elf.Sections[sym.SectionIndex].Address : 0);

    private void RelocationTables()
    {
        // Grouped by target section, in order of first appearance; the filter applies to the relocation section's name.
        var groups = new List<(ElfSection Target, List<ElfSection> Tables)>();
        foreach (var s in _elf.Sections)
        {
            if (!Keep(s) || !s.IsRelocation)
                continue;
            if (s.Info >= _elf.Sections.Count)
                throw new BpfFormatException($"relocation section '{s.Name}' applies to section {s.Info}, but there are {_elf.Sections.Count}", s.HeaderOffset + 44, _elf.FileName);
            var target = _elf.Sections[(int)s.Info];
            var group = groups.FindIndex(g => g.Target == target);
            if (group < 0)
                groups.Add((target, [s]));
            else
                groups[group].Tables.Add(s);
        }
        foreach (var (target, tables) in groups)
        {
            _out.Append("\nRELOCATION RECORDS FOR [");
            _out.Append(target.Name);
            _out.Append("]:\nOFFSET           TYPE                     VALUE\n");
            foreach (var section in tables)
            {
                var table = _elf.GetRelocations(section);
                for (int i = 0; i < table.Count; i++)
                {
                    var rel = table[i];
                    _out.Hex(rel.Offset, 16);
                    _out.Append(' ');
                    _out.Padded(ElfConstants.RelocationTypeName(rel.Type), 24);
                    _out.Append(' ');
                    RelocationValue(rel, table.IsRela);
                    _out.Append('\n');
                }
            }
        }
    }

    /// <summary>The symbol (a section symbol by its section's name), "*ABS*" when there is none, then "+0x..." for a RELA addend.</summary>
    private void RelocationValue(ElfRelocation rel, bool isRela)
    {
        var symbols = _elf.Symbols;
        if (rel.SymbolIndex == 0 || symbols is null)
            _out.Append("*ABS*");
        else
            _out.Append(symbols.GetDisplayName(rel.SymbolIndex));
        if (isRela && rel.Addend != 0)
        {
            _out.Append(rel.Addend < 0 ? "-0x" : "+0x");
            _out.Hex(rel.Addend < 0 ? (ulong)-rel.Addend : (ulong)rel.Addend, 1);
        }
    }

    private void SectionContents()
    {
        foreach (var s in _elf.Sections)
        {
            if (!Keep(s) || s.Size == 0)
                continue;
            _out.Append("Contents of section ");
            _out.Append(s.Name);
            _out.Append(":\n");
            if (s.IsAllocated && s.IsNoBits)
            {
                _out.Append("<skipping contents of bss section at [");
                _out.Hex(s.Address, 4);
                _out.Append(", ");
                _out.Hex(s.Address + s.Size, 4);
                _out.Append(")>\n");
                continue;
            }
            var bytes = _elf.GetData(s).Span;
            for (int at = 0; at < bytes.Length; at += 16)
            {
                _out.Append(' ');
                _out.Hex(s.Address + (ulong)at, 4);
                _out.Append(' ');
                for (int i = 0; i < 16; i++)
                {
                    if (i != 0 && i % 4 == 0)
                        _out.Append(' ');
                    if (at + i < bytes.Length)
                        _out.HexByte(bytes[at + i]);
                    else
                        _out.Append("  ");
                }
                _out.Append("  ");
                for (int i = 0; i < 16 && at + i < bytes.Length; i++)
                {
                    byte b = bytes[at + i];
                    _out.Append(b >= 0x20 && b < 0x7f ? (char)b : '.');
                }
                _out.Append('\n');
            }
        }
    }

    // Classes, not structs: generic collections over reference types use the shared code precompiled
    // (ReadyToRun) in the framework, while struct instantiations would be JIT-compiled at startup.
    private sealed record SymbolInfo(ulong Address, byte Type, string Name) : IComparable<SymbolInfo>
    {
        public int CompareTo(SymbolInfo? other)
        {
            if (other is null)
                return 1;
            int c = Address.CompareTo(other.Address);
            if (c != 0)
                return c;
            c = Type.CompareTo(other.Type);
            return c != 0 ? c : string.CompareOrdinal(Name, other.Name);
        }
    }

    private void Disassembly()
    {
        var bySection = new List<SymbolInfo>?[_elf.Sections.Count];
        if (_elf.Symbols is { } symbols)
        {
            for (int i = 1; i < symbols.Count; i++)
            {
                var sym = symbols[i];
                if (sym.Type == ElfSymbolType.Section || !sym.IsInSection || sym.IsAbsolute || sym.IsCommon)
                    continue;
                var name = symbols.GetName(i);
                if (name.Length == 0)
                    continue;
                (bySection[sym.SectionIndex] ??= []).Add(new SymbolInfo(SymbolAddress(sym), (byte)sym.Type, name));
            }
        }
        foreach (var section in _elf.Sections)
        {
            bool filtered = _options.Sections.Count > 0;
            if (!Keep(section) || (!filtered && !_options.DisassembleAll && (!section.IsExecutable || section.IsNoBits)) || section.Size == 0)
                continue;
            var list = bySection[section.Index] ?? [];
            list.Sort();
            if (list.Count == 0 || list[0].Address != section.Address)
                list.Insert(0, new SymbolInfo(section.Address, section.IsExecutable ? (byte)ElfSymbolType.Func : (byte)ElfSymbolType.Object, section.Name));
            DisassembleSection(section, list);
        }
    }

    private sealed record RelocationEntry(ElfRelocation Rel, bool IsRela, int Order);

    /// <summary>The relocations applying to <paramref name="section"/> (only under -r), stably sorted by offset.</summary>
    private List<RelocationEntry> SortedRelocations(ElfSection section)
    {
        var result = new List<RelocationEntry>();
        if (!_options.Relocations)
            return result;
        foreach (var table in _elf.RelocationsFor(section))
            for (int i = 0; i < table.Count; i++)
                result.Add(new RelocationEntry(table[i], table.IsRela, result.Count));
        result.Sort(static (a, b) => a.Rel.Offset != b.Rel.Offset ? a.Rel.Offset.CompareTo(b.Rel.Offset) : a.Order.CompareTo(b.Order));
        return result;
    }

    private void DisassembleSection(ElfSection section, List<SymbolInfo> symbols)
    {
        var relocations = SortedRelocations(section);
        int relCur = 0;
        var bytes = _elf.GetData(section).Span;
        ulong sectionAddr = section.Address;
        ulong sectionSize = section.Size;
        bool printedHeader = false;
        bool showRaw = !_options.NoShowRawInsn;
        bool be = _elf.BigEndian;
        Span<char> text = stackalloc char[LlvmDisassembler.MaxLength];

        for (int si = 0; si < symbols.Count; si++)
        {
            ulong start = symbols[si].Address;
            if (start < sectionAddr)
                continue;
            ulong end = sectionAddr + sectionSize;
            if (si + 1 < symbols.Count)
                end = Math.Min(end, symbols[si + 1].Address);
            if (start >= end)
                continue;
            start -= sectionAddr;
            end -= sectionAddr;
            if (!printedHeader)
            {
                printedHeader = true;
                _out.Append("\nDisassembly of section ");
                _out.Append(section.Name);
                _out.Append(":\n");
            }
            _out.Append('\n');
            _out.Hex(sectionAddr + start, 16);
            _out.Append(" <");
            _out.Append(symbols[si].Name);
            _out.Append(">:\n");
            if (section.IsNoBits)
            {
                _out.Append("...\n");
                continue;
            }

            ulong index = start;
            if (!_options.DisassembleAll && section.IsExecutable && symbols[si].Type is (byte)ElfSymbolType.Object or (byte)ElfSymbolType.Common)
            {
                DumpData(sectionAddr, index, end, bytes);
                index = end;
            }
            while (index < end)
            {
                // Runs of 8+ zero bytes (in multiples of 4) print as "...", up to the next relocation.
                ulong maxOffset = relCur < relocations.Count && relocations[relCur].Rel.Offset >= index
                    ? relocations[relCur].Rel.Offset - index : end - index;
                maxOffset = Math.Min(maxOffset, (ulong)bytes.Length - index);
                ulong zeros = SkippableZeroBytes(bytes.Slice((int)index, (int)maxOffset));
                if (zeros > 0)
                {
                    _out.Append("\t\t...\n");
                    index += zeros;
                    continue;
                }

                var remaining = bytes[(int)index..];
                int size;
                bool decoded;
                Instruction insn = default;
                int textLength = 0;
                if (remaining.Length < Instruction.Size)
                {
                    size = 1;
                    decoded = false;
                }
                else
                {
                    insn = Instruction.Read(remaining, be);
                    bool wide = insn.IsWide;
                    if (wide && remaining.Length < 2 * Instruction.Size)
                    {
                        // LLVM decodes the opcode, then fails for want of the second slot: it advances one byte.
                        bool decodable = LlvmDisassembler.SlotsUsed(insn, _disasm) == 2;
                        size = decodable ? 1 : 8;
                        decoded = false;
                    }
                    else
                    {
                        var next = wide ? Instruction.Read(remaining[Instruction.Size..], be) : default;
                        LlvmDisassembler.TryFormat(insn, next, text, out textLength, _disasm);
                        decoded = !text[..textLength].SequenceEqual(LlvmDisassembler.Unknown);
                        size = decoded && wide ? 16 : 8;
                    }
                }

                _out.DecimalRight((long)((sectionAddr + index) / 8), 8);
                _out.Append(':');
                if (showRaw)
                {
                    _out.Append('\t');
                    for (int i = 0; i < size; i++)
                    {
                        if (i > 0)
                            _out.Append(' ');
                        _out.HexByte(remaining[i]);
                    }
                }
                _out.Append('\t');
                if (decoded)
                {
                    _out.Append(text[..textLength]);
                    BranchTarget(insn, sectionAddr + index, symbols);
                }
                else
                {
                    _out.Append(LlvmDisassembler.Unknown);
                }
                _out.Append('\n');

                while (relCur < relocations.Count)
                {
                    var (rel, rela, _) = relocations[relCur];
                    if (rel.Offset >= index + (ulong)size)
                        break;
                    _out.Append("\t\t");
                    _out.Hex(sectionAddr + rel.Offset, 16);
                    _out.Append(":  ");
                    _out.Append(ElfConstants.RelocationTypeName(rel.Type));
                    _out.Append('\t');
                    RelocationValue(rel, rela);
                    _out.Append('\n');
                    relCur++;
                }
                index += (ulong)size;
            }
        }
    }

    /// <summary>" &lt;symbol+0x..&gt;" after a jump: the last symbol of the section at or before the target.</summary>
    private void BranchTarget(Instruction insn, ulong address, List<SymbolInfo> symbols)
    {
        var info = insn.Info;
        bool branch = info.Shape == InstructionShape.CondJump || (info.Shape == InstructionShape.Ja && insn.Class == OpClass.Jmp);
        if (!branch)
            return;
        ulong target = address + 8 + (ulong)((long)insn.Offset * 8);
        int lo = 0, hi = symbols.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (symbols[mid].Address <= target) lo = mid + 1;
            else hi = mid;
        }
        if (lo == 0)
            return;
        var sym = symbols[lo - 1];
        _out.Append(" <");
        _out.Append(sym.Name);
        ulong disp = target - sym.Address;
        if (disp != 0)
        {
            _out.Append("+0x");
            _out.Hex(disp, 1);
        }
        _out.Append('>');
    }

    private static ulong SkippableZeroBytes(ReadOnlySpan<byte> bytes)
    {
        int n = bytes.IndexOfAnyExcept((byte)0);
        if (n < 0)
            n = bytes.Length;
        return n < 8 ? 0 : (ulong)(n & ~3);
    }

    /// <summary>Data symbols inside an executable section print as hex and ASCII, 8 bytes a line.</summary>
    private void DumpData(ulong sectionAddr, ulong index, ulong end, ReadOnlySpan<byte> bytes)
    {
        Span<char> ascii = stackalloc char[8];
        int count = 0;
        for (; index < end && index < (ulong)bytes.Length; index++)
        {
            if (count == 0)
            {
                _out.Spaces(8 - HexDigits(sectionAddr + index));
                _out.Hex(sectionAddr + index, 1);
                _out.Append(':');
            }
            byte b = bytes[(int)index];
            _out.Append(' ');
            _out.HexByte(b);
            ascii[count++] = b >= 0x20 && b < 0x7f ? (char)b : '.';
            int indent = 0;
            int shown = count;
            if (index == end - 1 || count > 8)
            {
                indent = 3 * (8 - count);
                count = 8;
            }
            if (count == 8)
            {
                _out.Spaces(indent);
                _out.Append("         ");
                _out.Append(ascii[..shown]);
                _out.Append('\n');
                count = 0;
            }
        }
    }

    private static int HexDigits(ulong value)
    {
        int digits = 1;
        for (value >>= 4; value != 0; value >>= 4)
            digits++;
        return digits;
    }
}
