using SharpBpf.Objects;

namespace SharpBpf.Cli.Objdump;

/// <summary>What <see cref="ObjdumpRenderer"/> prints, as llvm-objdump's options name it.</summary>
public sealed class ObjdumpOptions
{
    /// <summary>-d: disassemble executable sections (or the sections named with --section).</summary>
    public bool Disassemble { get; set; }
    /// <summary>-D: disassemble every section, data included (implies <see cref="Disassemble"/>).</summary>
    public bool DisassembleAll { get; set; }
    /// <summary>-r: relocation records (interleaved with the disassembly under -d).</summary>
    public bool Relocations { get; set; }
    /// <summary>-h: the section table.</summary>
    public bool SectionHeaders { get; set; }
    /// <summary>-s: hex and ASCII dump of section contents.</summary>
    public bool SectionContents { get; set; }
    /// <summary>-t: the symbol table.</summary>
    public bool SymbolTable { get; set; }
    /// <summary>--no-show-raw-insn: leave out instruction bytes.</summary>
    public bool NoShowRawInsn { get; set; }
    /// <summary>--print-imm-hex: immediates in hex.</summary>
    public bool PrintImmHex { get; set; }
    /// <summary>--section/-j: only these sections (an empty list means all).</summary>
    public List<string> Sections { get; } = [];

    /// <summary>True when at least one of -d, -r, -h, -s, -t was given.</summary>
    public bool AnyOutput => Disassemble || Relocations || SectionHeaders || SectionContents || SymbolTable;
}
