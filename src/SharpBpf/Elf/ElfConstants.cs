namespace SharpBpf.Elf;

/// <summary>Section types (sh_type) that matter for BPF objects.</summary>
public enum ElfSectionType : uint
{
    Null = 0,
    ProgBits = 1,
    SymTab = 2,
    StrTab = 3,
    Rela = 4,
    Hash = 5,
    Dynamic = 6,
    Note = 7,
    NoBits = 8,
    Rel = 9,
    DynSym = 11,
    LlvmAddrsig = 0x6fff4c03,
}

/// <summary>Section flags (sh_flags).</summary>
[Flags]
public enum ElfSectionFlags : ulong
{
    None = 0,
    Write = 0x1,
    Alloc = 0x2,
    ExecInstr = 0x4,
    Merge = 0x10,
    Strings = 0x20,
}

/// <summary>Symbol binding (high nibble of st_info).</summary>
public enum ElfSymbolBinding : byte
{
    Local = 0,
    Global = 1,
    Weak = 2,
    GnuUnique = 10,
}

/// <summary>Symbol type (low nibble of st_info).</summary>
public enum ElfSymbolType : byte
{
    NoType = 0,
    Object = 1,
    Func = 2,
    Section = 3,
    File = 4,
    Common = 5,
    Tls = 6,
    GnuIfunc = 10,
}

/// <summary>BPF relocation types (r_info low 32 bits), as LLVM's BPF backend emits them.</summary>
public enum BpfRelocationType : uint
{
    None = 0,
    /// <summary><c>ld_imm64</c> of a map or global variable address.</summary>
    Bpf64_64 = 1,
    /// <summary>64-bit data word (e.g. <c>.values</c> of map-in-map and prog arrays, DWARF).</summary>
    Bpf64Abs64 = 2,
    Bpf64Abs32 = 3,
    /// <summary>32-bit data word not resolved by the dynamic loader (.BTF, .BTF.ext).</summary>
    Bpf64NoDyld32 = 4,
    /// <summary>A bpf-to-bpf call's immediate.</summary>
    Bpf64_32 = 10,
}

/// <summary>Special section indexes and other numbers of the ELF format.</summary>
public static class ElfConstants
{
    public const ushort SectionUndefined = 0;
    public const ushort SectionLoReserve = 0xff00;
    public const ushort SectionAbsolute = 0xfff1;
    public const ushort SectionCommon = 0xfff2;
    public const ushort SectionIndexExtended = 0xffff;

    public const ushort MachineBpf = 247;
    public const ushort TypeRelocatable = 1;

    public const int HeaderSize = 64;
    public const int SectionHeaderSize = 64;
    public const int SymbolSize = 24;
    public const int RelSize = 16;
    public const int RelaSize = 24;

    /// <summary>The name llvm-objdump and readelf give a BPF relocation type.</summary>
    public static string RelocationTypeName(uint type) => type switch
    {
        0 => "R_BPF_NONE",
        1 => "R_BPF_64_64",
        2 => "R_BPF_64_ABS64",
        3 => "R_BPF_64_ABS32",
        4 => "R_BPF_64_NODYLD32",
        10 => "R_BPF_64_32",
        _ => "Unknown",
    };
}
