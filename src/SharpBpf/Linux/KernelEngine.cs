using System.Runtime.InteropServices;
using SharpBpf.Isa;
using SharpBpf.Objects;

namespace SharpBpf.Linux;

/// <summary>The .BTF.ext parts of one program, already adjusted to its linked instruction offsets.</summary>
public sealed record ProgramBtfExt(byte[] FuncInfo, int FuncInfoRecordSize, byte[] LineInfo, int LineInfoRecordSize)
{
    /// <summary>Source text for an instruction index, for verifier errors; null when unknown.</summary>
    public Func<int, string?>? SourceLine { get; init; }
}

/// <summary>How <see cref="KernelEngine"/> loads an object.</summary>
public sealed class KernelEngineOptions
{
    /// <summary>The object's name as libbpf derives it (file name without its last extension): prefixes global-data map names.</summary>
    public string ObjectName { get; init; } = "";
    /// <summary>The object's raw .BTF section; maps and programs get it when the kernel accepts it.</summary>
    public byte[]? Btf { get; init; }
    /// <summary>func_info/line_info per program (by program name), from .BTF.ext.</summary>
    public Func<ProgramSpec, ProgramBtfExt?>? BtfExt { get; init; }
    /// <summary>Links subprograms into a program (ProgramLinker); required when programs contain bpf-to-bpf calls.</summary>
    public Func<ProgramSpec, ProgramSpec>? Linker { get; init; }
    /// <summary>Verifier log level to collect on failure.</summary>
    public uint LogLevelOnFailure { get; init; } = 1;
    /// <summary>Programs to skip (by name); the rest are loaded.</summary>
    public Func<ProgramSpec, bool>? ShouldLoad { get; init; }
}

/// <summary>
/// Turns inert specs into live kernel objects as libbpf does: maps created (global data named "&lt;obj8&gt;.rodata",
/// with BTF when the kernel takes it), global data written (.rodata frozen), map references relocated,
/// programs loaded, PROG_ARRAY and map-in-map slots filled.
/// </summary>
public static class KernelEngine
{
    private const byte PseudoMapFd = 1;
    private const byte PseudoMapValue = 2;

    public static KernelCollection Load(IReadOnlyList<MapSpec> maps, IReadOnlyList<ProgramSpec> programs, KernelEngineOptions? options = null)
    {
        options ??= new KernelEngineOptions();
        var collection = new KernelCollection();
        try
        {
            collection.Btf = TryLoadBtf(options.Btf);
            foreach (var spec in maps)
                collection.AddMap(spec.Name, CreateMap(spec, collection.Btf, options.ObjectName));
            foreach (var spec in maps)
                FillMapOfMaps(spec, collection);
            foreach (var spec in programs)
            {
                if (options.ShouldLoad is { } filter && !filter(spec))
                    continue;
                collection.AddProgram(spec.Name, LoadProgram(spec, collection, options));
            }
            foreach (var spec in maps.Where(m => m.Type == BpfMapType.ProgArray))
                FillProgramArray(spec, collection);
            return collection;
        }
        catch
        {
            collection.Dispose();
            throw;
        }
    }

    /// <summary>libbpf's name for a global-data map: up to 8 characters of the object name, then the section name.</summary>
    public static string InternalMapName(string objectName, string section)
    {
        int suffixLength = Math.Max(7, section.Length);
        int prefixLength = section.IndexOf('.', 1) >= 0 ? 0 : Math.Min(BpfObjectName.Length - suffixLength - 1, objectName.Length);
        var name = objectName[..Math.Max(0, prefixLength)] + section;
        if (name.Length > BpfObjectName.Length - 1)
            name = name[..(BpfObjectName.Length - 1)];
        return string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '.' ? c : '_'));
    }

    private static KernelBtf? TryLoadBtf(byte[]? btf)
    {
        if (btf is null || btf.Length == 0)
            return null;
        try
        {
            return KernelBtf.Load(btf);
        }
        catch (BpfSyscallException)
        {
            return null; // as libbpf: a kernel that refuses the object's BTF still gets the maps and programs
        }
    }

    private static KernelMap CreateMap(MapSpec spec, KernelBtf? btf, string objectName)
    {
        var create = spec.Clone();
        if (spec.IsGlobalData)
        {
            create.Name = InternalMapName(objectName, spec.DataSection!);
            create.Type = BpfMapType.Array;
            create.KeySize = 4;
            create.MaxEntries = 1;
            const uint Mmapable = 0x400, ReadOnlyProg = 0x80;
            create.Flags |= Mmapable | (spec.IsReadOnlyData ? ReadOnlyProg : 0);
        }
        KernelMap? inner = null;
        try
        {
            if (spec.InnerMap is { } innerSpec)
                inner = CreateMap(innerSpec, null, objectName);
            KernelMap map;
            try
            {
                map = KernelMap.Create(create, btf, inner);
            }
            catch (BpfSyscallException) when (btf is not null && (create.BtfKeyTypeId != 0 || create.BtfValueTypeId != 0))
            {
                map = KernelMap.Create(create, null, inner); // the kernel refused the BTF description: retry without, as libbpf
            }
            if (spec.InitialValue is { } initial && spec.IsGlobalData)
            {
                try
                {
                    map.Update(stackalloc byte[4], initial);
                    if (spec.IsReadOnlyData)
                        map.Freeze();
                }
                catch
                {
                    map.Dispose();
                    throw;
                }
            }
            return map;
        }
        finally
        {
            inner?.Dispose();
        }
    }

    private static void FillMapOfMaps(MapSpec spec, KernelCollection collection)
    {
        if (spec.Type is not (BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps))
            return;
        var outer = collection.Maps[spec.Name];
        foreach (var slot in spec.Contents)
        {
            if (!collection.Maps.TryGetValue(slot.Target, out var target))
                throw new BpfException($"map '{spec.Name}': slot {slot.Index} refers to map '{slot.Target}', which the object does not define");
            outer.Update(BitConverter.GetBytes(slot.Index), BitConverter.GetBytes(target.Fd.Value));
        }
    }

    private static void FillProgramArray(MapSpec spec, KernelCollection collection)
    {
        var array = collection.Maps[spec.Name];
        foreach (var slot in spec.Contents)
        {
            if (!collection.Programs.TryGetValue(slot.Target, out var program))
                throw new BpfException($"map '{spec.Name}': slot {slot.Index} refers to program '{slot.Target}', which was not loaded");
            array.Update(BitConverter.GetBytes(slot.Index), BitConverter.GetBytes(program.Fd.Value));
        }
    }

    private static KernelProgram LoadProgram(ProgramSpec spec, KernelCollection collection, KernelEngineOptions options)
    {
        var linked = spec;
        if (spec.Relocations.Any(r => r is SubprogramCall))
            linked = options.Linker?.Invoke(spec)
                ?? throw new BpfException($"program '{spec.Name}' calls subprograms but no linker was given to the kernel engine");
        var insns = Relocate(linked, collection);
        var ext = collection.Btf is null ? null : options.BtfExt?.Invoke(linked);
        var load = new ProgramLoadOptions
        {
            Type = spec.Type,
            Instructions = insns,
            License = spec.License,
            ExpectedAttachType = spec.ExpectedAttachType,
            KernelVersion = spec.KernelVersion,
            Name = spec.Name,
            Flags = spec.Sleepable ? 1u << 4 /* BPF_F_SLEEPABLE */ : 0,
            Btf = ext is null ? null : collection.Btf,
            FuncInfo = ext?.FuncInfo ?? default,
            FuncInfoRecordSize = ext?.FuncInfoRecordSize ?? 8,
            LineInfo = ext?.LineInfo ?? default,
            LineInfoRecordSize = ext?.LineInfoRecordSize ?? 16,
            LogLevelOnFailure = options.LogLevelOnFailure,
            SourceLine = ext?.SourceLine,
        };
        return KernelProgram.Load(load);
    }

    /// <summary>Writes map fds (and value offsets) into the program's ld_imm64 instructions.</summary>
    internal static Instruction[] Relocate(ProgramSpec spec, KernelCollection collection)
    {
        var insns = (Instruction[])spec.Instructions.Clone();
        foreach (var relocation in spec.Relocations)
        {
            int i = relocation.InstructionIndex;
            switch (relocation)
            {
                case MapReference m:
                    CheckWide(spec, insns, i);
                    insns[i] = insns[i].WithSrc(PseudoMapFd).WithImm(MapFor(spec, collection, m.MapName).Fd.Value);
                    insns[i + 1] = insns[i + 1].WithImm(0);
                    break;
                case MapValueReference v:
                    CheckWide(spec, insns, i);
                    insns[i] = insns[i].WithSrc(PseudoMapValue).WithImm(MapFor(spec, collection, v.MapName).Fd.Value);
                    insns[i + 1] = insns[i + 1].WithImm(v.Offset);
                    break;
                case SubprogramCall:
                    break; // resolved by the linker
                case KconfigReference k:
                    throw new BpfException($"program '{spec.Name}': extern __kconfig '{k.Symbol}' is not supported by the kernel engine yet");
                case KfuncCall f:
                    throw new BpfException($"program '{spec.Name}': kfunc '{f.Function}' calls are not supported by the kernel engine yet");
            }
        }
        return insns;
    }

    private static KernelMap MapFor(ProgramSpec spec, KernelCollection collection, string name) =>
        collection.Maps.TryGetValue(name, out var map) ? map
            : throw new BpfException($"program '{spec.Name}' refers to map '{name}', which the object does not define");

    private static void CheckWide(ProgramSpec spec, Instruction[] insns, int i)
    {
        if (i < 0 || i + 1 >= insns.Length || !insns[i].IsWide)
            throw new BpfException($"program '{spec.Name}': relocation at instruction {i} is not on an ld_imm64");
    }
}

/// <summary>The live maps and programs of one loaded object. Disposing releases all of them (and the object's BTF).</summary>
public sealed class KernelCollection : IDisposable
{
    private readonly Dictionary<string, KernelMap> _maps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, KernelProgram> _programs = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, KernelMap> Maps => _maps;
    public IReadOnlyDictionary<string, KernelProgram> Programs => _programs;
    /// <summary>The object's BTF as loaded into the kernel, or null when it had none or the kernel refused it.</summary>
    public KernelBtf? Btf { get; internal set; }

    internal void AddMap(string name, KernelMap map)
    {
        if (!_maps.TryAdd(name, map))
        {
            map.Dispose();
            throw new BpfException($"the object defines map '{name}' twice");
        }
    }

    internal void AddProgram(string name, KernelProgram program)
    {
        if (!_programs.TryAdd(name, program))
        {
            program.Dispose();
            throw new BpfException($"the object defines program '{name}' twice");
        }
    }

    /// <summary>Pins every map under <paramref name="directory"/> by its name.</summary>
    public void PinMaps(string directory)
    {
        foreach (var (name, map) in _maps)
            map.Pin(Path.Combine(directory, name));
    }

    public void Dispose()
    {
        foreach (var p in _programs.Values)
            p.Dispose();
        foreach (var m in _maps.Values)
            m.Dispose();
        Btf?.Dispose();
        _programs.Clear();
        _maps.Clear();
    }
}
