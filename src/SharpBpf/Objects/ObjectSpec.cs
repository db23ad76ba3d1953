using SharpBpf.Btf;
using SharpBpf.Elf;

namespace SharpBpf.Objects;

/// <summary>
/// A parsed BPF ELF object, inert and editable: its programs (one per global function of each executable
/// section other than .text), the subprograms they may call (.text functions), maps (legacy <c>maps</c>,
/// BTF-defined <c>.maps</c>, and one per global data section), license, kernel version and raw BTF.
/// Engines link each program with <see cref="ProgramLinker"/> and resolve its relocations.
/// </summary>
public sealed class ObjectSpec
{
    internal ObjectSpec(ElfFile elf, string name)
    {
        Elf = elf;
        Name = name;
    }

    /// <summary>Reads and parses the object file at <paramref name="path"/>.</summary>
    public static ObjectSpec Load(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>Parses an object held in memory. <paramref name="fileName"/> names it in errors and gives the object name.</summary>
    public static ObjectSpec Parse(ReadOnlyMemory<byte> bytes, string? fileName = null) =>
        ObjectReader.Read(ElfFile.Parse(bytes, fileName));

    /// <summary>The object name libbpf derives from the file name (up to the first '.', at most 15 characters), used to name global data maps.</summary>
    public string Name { get; }
    public ElfFile Elf { get; }
    public bool BigEndian => Elf.BigEndian;

    /// <summary>The entry-point programs, in section then offset order.</summary>
    public List<ProgramSpec> Programs { get; } = [];
    /// <summary>Functions that are not programs (those in .text): callees that <see cref="ProgramLinker"/> appends.</summary>
    public List<ProgramSpec> Subprograms { get; } = [];
    public List<MapSpec> Maps { get; } = [];

    public string License { get; set; } = "";
    public uint KernelVersion { get; set; }

    /// <summary>The raw .BTF section, or null.</summary>
    public ReadOnlyMemory<byte>? Btf { get; internal set; }
    /// <summary>The parsed .BTF (types and strings), or null when the object has none.</summary>
    public BtfSpec? BtfTypes { get; internal set; }
    /// <summary>The raw .BTF.ext section, or null.</summary>
    public ReadOnlyMemory<byte>? BtfExt { get; internal set; }
    /// <summary>The .BTF.ext section as parsed against <see cref="BtfTypes"/>, kept so engines need not parse it again.</summary>
    internal BtfExt? ParsedBtfExt { get; set; }

    /// <summary>The extern variables (<c>__kconfig</c> and <c>__ksym</c>) programs refer to.</summary>
    public List<ExternSpec> Externs { get; } = [];

    /// <summary>The variables of the global data maps (.data, .rodata, .bss...), from the ELF symbol table.</summary>
    public List<GlobalVariable> Variables { get; } = [];

    /// <summary>Replaces a global variable's initial value (e.g. a <c>const volatile</c> setting in .rodata) before the
    /// object is loaded. <paramref name="value"/> is in the object's byte order and exactly the variable's size.</summary>
    /// <exception cref="BpfException">no such variable, or a value of the wrong size.</exception>
    public void SetVariable(string name, ReadOnlySpan<byte> value)
    {
        var variable = FindVariable(name);
        if (value.Length != variable.Size)
            throw new BpfException($"variable '{name}' is {variable.Size} bytes, the new value {value.Length}");
        value.CopyTo(variable.Map.InitialValue.AsSpan(variable.Offset, variable.Size));
    }

    /// <summary>A global variable's current initial value (in the object's byte order).</summary>
    public ReadOnlySpan<byte> GetVariable(string name)
    {
        var variable = FindVariable(name);
        return variable.Map.InitialValue.AsSpan(variable.Offset, variable.Size);
    }

    private GlobalVariable FindVariable(string name) =>
        Variables.Find(v => v.Name == name)
        ?? throw new BpfNotFoundException("global variable", name, $"the object has no global variable '{name}' (known: {string.Join(", ", Variables.Select(v => v.Name))})");

    public ProgramSpec? FindProgram(string name) => Programs.Find(p => p.Name == name);
    public MapSpec? FindMap(string name) => Maps.Find(m => m.Name == name);

    /// <summary>A program or subprogram by name.</summary>
    public ProgramSpec? FindFunction(string name) => FindProgram(name) ?? Subprograms.Find(p => p.Name == name);

    /// <summary>The function (program or subprogram) of <paramref name="section"/> starting at <paramref name="offset"/> instructions.</summary>
    public ProgramSpec? FindFunction(string section, int offset)
    {
        foreach (var p in Programs)
            if (p.SectionName == section && p.SectionOffset == offset)
                return p;
        foreach (var p in Subprograms)
            if (p.SectionName == section && p.SectionOffset == offset)
                return p;
        return null;
    }
}

/// <summary>A variable living in a global data map: <see cref="Size"/> bytes at <see cref="Offset"/> of the map's value.</summary>
public sealed record GlobalVariable(string Name, MapSpec Map, int Offset, int Size, bool IsStatic);

/// <summary>An extern the object declares: a <c>__kconfig</c> value (laid out in the .kconfig map at <see cref="Offset"/>)
/// or a <c>__ksym</c> kernel symbol.</summary>
public sealed record ExternSpec(string Name, ExternKind Kind, int Offset, int Size, bool Weak);

public enum ExternKind
{
    Kconfig,
    Ksym,
    /// <summary>A kernel function called through a kfunc call.</summary>
    Kfunc,
}
