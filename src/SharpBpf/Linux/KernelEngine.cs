using SharpBpf.Btf;
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
    /// <summary>For hand-built specs: the raw BTF that maps and programs refer to (objects bring their own).</summary>
    public byte[]? Btf { get; init; }
    /// <summary>For hand-built specs: func_info/line_info per program.</summary>
    public Func<ProgramSpec, ProgramBtfExt?>? BtfExt { get; init; }
    /// <summary>Verifier log level to collect on failure.</summary>
    public uint LogLevelOnFailure { get; init; } = 1;
    /// <summary>Always collect the verifier log at this level (<see cref="KernelProgram.VerifierLog"/>); 0 = only on failure.</summary>
    public uint LogLevel { get; init; }
    /// <summary>Which programs to load; default: those the object marks autoload.</summary>
    public Func<ProgramSpec, bool>? ShouldLoad { get; init; }
    /// <summary>Where maps declared <c>pinning = LIBBPF_PIN_BY_NAME</c> are pinned (ROOT/NAME) and, when a compatible pin
    /// is already there, reused instead of created (libbpf's pin_root_path). Null (the default) ignores the attribute;
    /// <see cref="LibbpfPinRoot"/> is libbpf's default.</summary>
    public string? PinRootPath { get; init; }
    /// <summary>Maps of the object taken from the kernel instead of created, by the object's map name (libbpf's
    /// bpf_map__reuse_fd): each descriptor is duplicated and the map used as it is, neither checked against the spec nor
    /// refilled. The caller keeps its descriptors.</summary>
    public IReadOnlyDictionary<string, BpfFd>? ReuseMaps { get; init; }
    public const string LibbpfPinRoot = BpfFs.DefaultPath;
    /// <summary>The BTF that CO-RE relocations resolve against; default: the running kernel's vmlinux, then its modules' (<see cref="RunningKernelBtf"/>).</summary>
    public BtfSpec? TargetBtf { get; init; }
}

/// <summary>
/// Turns inert specs into live kernel objects as libbpf does: maps created (with BTF when the kernel takes it,
/// else without), global data written (.rodata frozen), subprograms linked, map references relocated, programs
/// loaded with their func/line info, PROG_ARRAY and map-in-map slots filled.
/// </summary>
public sealed class KernelEngine : IBpfEngine
{
    public KernelEngine(KernelEngineOptions? options = null) => Options = options ?? new KernelEngineOptions();

    public KernelEngineOptions Options { get; }

    /// <inheritdoc />
    public string Name => "kernel";

    IBpfCollection IBpfEngine.Load(ObjectSpec obj) => Load(obj);

    /// <summary>Nothing to release: each collection owns its kernel objects.</summary>
    public void Dispose() { }

    /// <summary>Loads a parsed object file.</summary>
    public KernelCollection Load(ObjectSpec obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var options = Options;
        byte[]? btf = null;
        BtfSpec? btfSpec = null;
        BtfExt? btfExt = null;
        if (obj.Btf is { } rawBtf && !obj.BigEndian)
        {
            try
            {
                // The fixup only patches DATASEC sizes and offsets: names, ids and strings are those the object parsed.
                btf = ObjectBtfFixup.Fix(rawBtf.Span, obj.Elf, obj.BtfTypes, obj.Externs);
                btfSpec = obj.BtfTypes ?? BtfSpec.Parse(btf);
                if (obj.BtfExt is { } rawExt)
                    btfExt = obj.ParsedBtfExt ?? BtfExt.Parse(rawExt.Span, btfSpec);
            }
            catch (BpfFormatException)
            {
                btf = null; // malformed BTF: load without it, as the kernel would refuse it anyway
                btfSpec = null;
                btfExt = null;
            }
        }
        if (obj.BigEndian)
            throw new BpfException($"object '{obj.Name}' is big-endian; this kernel runs little-endian programs");

        var maps = obj.Maps.Select(m => WithPossibleCpus(WithKconfigValues(WithDatasecType(m, btfSpec), obj))).ToList();
        var programs = new List<LoadableProgram>();
        var core = new Lazy<CoreRelocator?>(() => options.TargetBtf is { } target
            ? CoreApplier.RelocatorFor(obj, () => target)
            : CoreApplier.RelocatorFor(obj, () => RunningKernelBtf.Vmlinux, () => RunningKernelBtf.Modules));
        foreach (var spec in obj.Programs)
        {
            if (!(options.ShouldLoad?.Invoke(spec) ?? spec.Autoload))
                continue;
            var linked = ProgramLinker.Link(obj, spec);
            var applied = linked.CoreRelocations.Count > 0 ? CoreApplier.Apply(linked, core.Value!) : null;
            programs.Add(new LoadableProgram(spec, applied?.Instructions ?? linked.Instructions, linked.Relocations,
                btfExt is null || btfSpec is null ? null : BtfExtFor(linked, btfExt)) { Poisoned = applied?.PoisonedInstructions });
        }
        return LoadCore(maps, programs, btf, options);
    }

    /// <summary>Loads hand-built specs whose programs are already linked (no bpf-to-bpf call relocations).</summary>
    public KernelCollection Load(IReadOnlyList<MapSpec> maps, IReadOnlyList<ProgramSpec> programs)
    {
        var options = Options;
        var loadable = new List<LoadableProgram>();
        foreach (var spec in programs)
        {
            if (!(options.ShouldLoad?.Invoke(spec) ?? spec.Autoload))
                continue;
            if (spec.Relocations.Any(r => r is SubprogramCall))
                throw new BpfException($"program '{spec.Name}' calls subprograms: load it through its ObjectSpec so ProgramLinker can link them");
            loadable.Add(new LoadableProgram(spec, spec.Instructions, spec.Relocations, options.BtfExt?.Invoke(spec)));
        }
        return LoadCore(maps, loadable, options.Btf, options);
    }

    private sealed record LoadableProgram(ProgramSpec Spec, Instruction[] Instructions, IReadOnlyList<Relocation> Relocations, ProgramBtfExt? Ext)
    {
        /// <summary>CO-RE-poisoned instruction indexes and what was unresolved there, for the verifier's error.</summary>
        public IReadOnlyDictionary<int, string>? Poisoned { get; init; }
    }

    private static KernelCollection LoadCore(IReadOnlyList<MapSpec> maps, IReadOnlyList<LoadableProgram> programs, byte[]? btf, KernelEngineOptions options)
    {
        var collection = new KernelCollection(maps);
        try
        {
            collection.Btf = TryLoadBtf(btf);
            foreach (var spec in maps)
            {
                var pinPath = spec.Pinning == PinByName && options.PinRootPath is { } root ? Path.Combine(root, spec.Name) : null;
                collection.AddMap(spec.Name, options.ReuseMaps?.GetValueOrDefault(spec.Name) is { } existing ? KernelMap.FromFd(existing.Duplicate())
                    : pinPath is null ? CreateMap(spec, collection.Btf)
                    : ReuseOrCreatePinned(spec, pinPath, collection));
                if (spec.DataSection?.StartsWith(".rodata", StringComparison.Ordinal) == true)
                    collection.ReadOnlyDataMaps.Add(collection.Maps[spec.Name]);
            }
            foreach (var spec in maps)
                FillMapOfMaps(spec, collection);
            foreach (var program in programs)
                collection.AddProgram(program.Spec.Name, LoadProgram(program, collection, options));
            foreach (var spec in maps.Where(m => m.Type == BpfMapType.ProgArray))
                FillProgramArray(spec, collection);
            return collection;
        }
        catch
        {
            foreach (var path in collection.PinnedByLoad)
                File.Delete(path); // as libbpf: a failed load takes back the pins it made (not those it reused)
            collection.Dispose();
            throw;
        }
    }

    private const uint PinByName = 1; // LIBBPF_PIN_BY_NAME

    /// <summary>libbpf's bpf_object__reuse_map, then create-and-pin: a pin with the same type, sizes, max_entries,
    /// flags and map_extra is used as is (not repopulated); another shape is an error.</summary>
    private static KernelMap ReuseOrCreatePinned(MapSpec spec, string pinPath, KernelCollection collection)
    {
        BpfFs.MountDefaultFor(pinPath);
        if (File.Exists(pinPath))
        {
            var pinned = KernelMap.OpenPinned(pinPath);
            var info = KernelObjectInfo.GetMapInfo(pinned.Fd);
            if (info.Type == spec.Type && info.KeySize == spec.KeySize && info.ValueSize == spec.ValueSize
                && info.MaxEntries == spec.MaxEntries && info.Flags == spec.Flags && info.MapExtra == spec.MapExtra)
                return pinned;
            pinned.Dispose();
            throw new BpfException($"map '{spec.Name}': couldn't reuse pinned map at '{pinPath}': parameter mismatch " +
                $"(pinned: {BpfNames.MapType(info.Type)} key {info.KeySize} value {info.ValueSize} max_entries {info.MaxEntries} flags 0x{info.Flags:x}; " +
                $"object: {BpfNames.MapType(spec.Type)} key {spec.KeySize} value {spec.ValueSize} max_entries {spec.MaxEntries} flags 0x{spec.Flags:x})");
        }
        var map = CreateMap(spec, collection.Btf);
        try
        {
            BpfFs.CreatePinDirectory(Path.GetDirectoryName(pinPath)!);
            map.Pin(pinPath);
        }
        catch
        {
            map.Dispose();
            throw;
        }
        collection.PinnedByLoad.Add(pinPath);
        return map;
    }

    /// <summary>The .kconfig map's contents: the values of the object's __kconfig externs on this kernel.</summary>
    private static MapSpec WithKconfigValues(MapSpec spec, ObjectSpec obj)
    {
        if (spec.DataSection != ".kconfig")
            return spec;
        var copy = spec.Clone();
        copy.InitialValue = KernelConfig.BuildKconfigValue(obj.Externs, spec.ValueSize);
        return copy;
    }

    /// <summary>libbpf's <c>map_set_def_max_entries</c>: a PERF_EVENT_ARRAY declared without max_entries gets one slot per possible CPU.</summary>
    private static MapSpec WithPossibleCpus(MapSpec spec)
    {
        if (spec.Type != BpfMapType.PerfEventArray || spec.MaxEntries != 0)
            return spec;
        var copy = spec.Clone();
        copy.MaxEntries = PossibleCpus.Count;
        return copy;
    }

    /// <summary>libbpf describes a global-data map's value with the section's DATASEC type.</summary>
    private static MapSpec WithDatasecType(MapSpec spec, BtfSpec? btf)
    {
        if (btf is null || !spec.IsGlobalData || spec.BtfValueTypeId != 0)
            return spec;
        var id = btf.FindByName(spec.DataSection!, BtfKind.Datasec).FirstOrDefault();
        if (id == 0)
            return spec;
        var copy = spec.Clone();
        copy.BtfValueTypeId = id;
        return copy;
    }

    /// <summary>The func_info and line_info records of a linked program, re-based to its linked instruction indexes.</summary>
    internal static ProgramBtfExt? BtfExtFor(LinkedProgram linked, BtfExt ext)
    {
        var funcInfo = new List<byte>();
        var lineInfo = new List<(int Insn, BtfLineInfo Line)>();
        foreach (var function in linked.Functions)
        {
            var f = function.Function;
            int first = f.SectionOffset, last = f.SectionOffset + f.Instructions.Length;
            foreach (var section in ext.FuncInfos.Where(s => s.SectionName == f.SectionName))
                foreach (var record in section.Records)
                {
                    int insn = (int)(record.InstructionOffset / 8);
                    if (insn >= first && insn < last)
                    {
                        funcInfo.AddRange(BitConverter.GetBytes((uint)(function.StartIndex + insn - first)));
                        funcInfo.AddRange(BitConverter.GetBytes(record.TypeId));
                    }
                }
            foreach (var section in ext.LineInfos.Where(s => s.SectionName == f.SectionName))
                foreach (var record in section.Records)
                {
                    int insn = (int)(record.InstructionOffset / 8);
                    if (insn >= first && insn < last)
                        lineInfo.Add((function.StartIndex + insn - first, record));
                }
        }
        if (funcInfo.Count == 0)
            return null;
        var lines = new List<byte>(lineInfo.Count * 16);
        foreach (var (insn, line) in lineInfo)
        {
            lines.AddRange(BitConverter.GetBytes((uint)insn));
            lines.AddRange(BitConverter.GetBytes(line.FileNameOffset));
            lines.AddRange(BitConverter.GetBytes(line.LineOffset));
            lines.AddRange(BitConverter.GetBytes((line.LineNumber << 10) | (line.Column & 0x3ff)));
        }
        var sorted = lineInfo.ToArray();
        return new ProgramBtfExt([.. funcInfo], 8, [.. lines], 16)
        {
            SourceLine = insn =>
            {
                (int Insn, BtfLineInfo Line)? best = null;
                foreach (var entry in sorted)
                    if (entry.Insn <= insn)
                        best = entry;
                return best is { } b ? $"{Path.GetFileName(b.Line.FileName)}:{b.Line.LineNumber}: {b.Line.Line.Trim()}" : null;
            },
        };
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

    private static KernelMap CreateMap(MapSpec spec, KernelBtf? btf)
    {
        KernelMap? inner = null;
        try
        {
            if (spec.InnerMap is { } innerSpec)
                inner = CreateMap(innerSpec, null);
            KernelMap map;
            try
            {
                map = KernelMap.Create(spec, btf, inner);
            }
            catch (BpfSyscallException) when (btf is not null && (spec.BtfKeyTypeId != 0 || spec.BtfValueTypeId != 0) && !KernelMap.TakesNoBtfTypes(spec.Type))
            {
                map = KernelMap.Create(spec, null, inner); // the kernel refused the BTF description: retry without, as libbpf
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
                throw new BpfNotFoundException("map", slot.Target, $"map '{spec.Name}': slot {slot.Index} refers to map '{slot.Target}', which the object does not define");
            outer.Update(BitConverter.GetBytes(slot.Index), BitConverter.GetBytes(target.Fd.Value));
        }
    }

    private static void FillProgramArray(MapSpec spec, KernelCollection collection)
    {
        var array = collection.Maps[spec.Name];
        foreach (var slot in spec.Contents)
        {
            if (!collection.Programs.TryGetValue(slot.Target, out var program))
                throw new BpfNotFoundException("program", slot.Target, $"map '{spec.Name}': slot {slot.Index} refers to program '{slot.Target}', which was not loaded");
            array.Update(BitConverter.GetBytes(slot.Index), BitConverter.GetBytes(program.Fd.Value));
        }
    }

    private static KernelProgram LoadProgram(LoadableProgram program, KernelCollection collection, KernelEngineOptions options)
    {
        var spec = program.Spec;
        if (spec.Type == BpfProgramType.Unspec)
            throw new BpfException($"prog '{spec.Name}': missing BPF prog type, check ELF section name '{spec.SectionName}'");
        var insns = MapRelocator.Apply(spec.Name, program.Instructions, program.Relocations, collection.MapSpecs,
            name => collection.Map(name).Fd.Value, "kernel engine");
        var ext = collection.Btf is null ? null : program.Ext;
        var attachBtf = AttachBtfTarget.Resolve(spec);
        using var moduleBtf = attachBtf?.ModuleBtf;
        var load = new ProgramLoadOptions
        {
            AttachBtfId = attachBtf?.Id ?? 0,
            AttachBtfObjectFd = moduleBtf,
            Type = spec.Type,
            Instructions = insns,
            License = spec.License,
            ExpectedAttachType = spec.ExpectedAttachType,
            KernelVersion = spec.KernelVersion,
            Name = spec.Name,
            Flags = spec.ProgramFlags | (spec.Sleepable ? 1u << 4 /* BPF_F_SLEEPABLE */ : 0),
            Btf = ext is null ? null : collection.Btf,
            FuncInfo = ext?.FuncInfo ?? default,
            FuncInfoRecordSize = ext?.FuncInfoRecordSize ?? 8,
            LineInfo = ext?.LineInfo ?? default,
            LineInfoRecordSize = ext?.LineInfoRecordSize ?? 16,
            LogLevelOnFailure = options.LogLevelOnFailure,
            LogLevel = options.LogLevel,
            SourceLine = WithPoisonNotes(program.Ext?.SourceLine, program.Poisoned),
        };
        var loaded = KernelProgram.Load(load);
        BindReadOnlyData(loaded, collection);
        return loaded;
    }

    /// <summary>libbpf 1.1 binds every .rodata map to every program it loads (BPF_PROG_BIND_MAP), so the program's
    /// map_ids list them even where its code does not refer to them; as libbpf, a refusal is not an error.</summary>
    private static void BindReadOnlyData(KernelProgram program, KernelCollection collection)
    {
        foreach (var map in collection.ReadOnlyDataMaps)
        {
            var attr = new ProgBindMapAttr { ProgFd = (uint)program.Fd.Value, MapFd = (uint)map.Fd.Value };
            BpfSyscall.TryInvoke(BpfCommand.ProgBindMap, ref attr);
        }
    }

    /// <summary>A poisoned instruction the verifier stops at ("invalid func unknown#195896080") is named by its relocation.</summary>
    private static Func<int, string?>? WithPoisonNotes(Func<int, string?>? source, IReadOnlyDictionary<int, string>? poisoned)
    {
        if (poisoned is null || poisoned.Count == 0)
            return source;
        return insn => poisoned.TryGetValue(insn, out var why)
            ? (source?.Invoke(insn) is { } line ? $"{line}\n" : "") + why
            : source?.Invoke(insn);
    }

}

/// <summary>The live maps and programs of one loaded object. Disposing releases all of them (and the object's BTF).</summary>
public sealed class KernelCollection : BpfCollection<KernelProgram, KernelMap>
{
    internal KernelCollection(IReadOnlyList<MapSpec> mapSpecs) => MapSpecs = mapSpecs;

    /// <summary>The specs the maps were created from (for relocation).</summary>
    internal IReadOnlyList<MapSpec> MapSpecs { get; }
    /// <summary>Pins of LIBBPF_PIN_BY_NAME maps this load created (removed again if the load fails).</summary>
    internal List<string> PinnedByLoad { get; } = [];
    /// <summary>The .rodata maps, which libbpf binds to every program.</summary>
    internal List<KernelMap> ReadOnlyDataMaps { get; } = [];
    /// <summary>The object's BTF as loaded into the kernel, or null when it had none or the kernel refused it.</summary>
    public KernelBtf? Btf { get; internal set; }

    /// <summary>Pins every map under <paramref name="directory"/> by its name.</summary>
    public void PinMaps(string directory)
    {
        foreach (var map in Maps.Values)
            map.Pin(Path.Combine(directory, PinName(map.Name)));
    }

    /// <summary>bpffs refuses '.' in names: pinned as libbpf does, with '_' instead ("obj.rodata" → "obj_rodata").</summary>
    public static string PinName(string name) => name.Replace('.', '_');

    public override void Dispose()
    {
        base.Dispose();
        Btf?.Dispose();
        Btf = null;
        ReadOnlyDataMaps.Clear();
    }
}
