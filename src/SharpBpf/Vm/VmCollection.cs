using SharpBpf.Isa;
using SharpBpf.Maps;
using SharpBpf.Objects;

namespace SharpBpf.Vm;

/// <summary>The live programs and maps of one object loaded into a <see cref="VmEngine"/>, by name.</summary>
public sealed class VmCollection
{
    internal VmCollection(Dictionary<string, VmProgram> programs, Dictionary<string, IVmMap> maps)
    {
        Programs = programs;
        Maps = maps;
    }

    public IReadOnlyDictionary<string, VmProgram> Programs { get; }
    public IReadOnlyDictionary<string, IVmMap> Maps { get; }

    /// <summary>The map named <paramref name="name"/> as the engine-neutral <see cref="IBpfMap"/>.</summary>
    public IBpfMap Map(string name) => Maps.TryGetValue(name, out var map) ? map
        : throw new BpfException($"the object has no map '{name}' (maps: {string.Join(", ", Maps.Keys)})");

    public VmProgram Program(string name) => Programs.TryGetValue(name, out var program) ? program
        : throw new BpfException($"the object has no program '{name}' (programs: {string.Join(", ", Programs.Keys)})");
}

/// <summary>Turns an <see cref="ObjectSpec"/> into live maps and programs: the VM's counterpart of libbpf's object load.</summary>
internal static class VmObjectLoader
{
    public static VmCollection Load(VmEngine engine, ObjectSpec obj)
    {
        var maps = new Dictionary<string, IVmMap>(StringComparer.Ordinal);
        foreach (var spec in obj.Maps)
            maps.Add(spec.Name, engine.CreateMap(spec));

        var programs = new Dictionary<string, VmProgram>(StringComparer.Ordinal);
        var targetBtf = engine.Options.TargetBtf;
        var core = targetBtf is null ? null : CoreApplier.RelocatorFor(obj, () => targetBtf);
        foreach (var spec in obj.Programs)
        {
            var linked = ProgramLinker.Link(obj, spec);
            IReadOnlyDictionary<int, string>? poisoned = null;
            Instruction[] instructions;
            if (core is not null && linked.CoreRelocations.Count > 0)
            {
                var applied = CoreApplier.Apply(linked, core);
                instructions = applied.Instructions;
                poisoned = applied.PoisonedInstructions;
            }
            else
            {
                instructions = (Instruction[])linked.Instructions.Clone();
            }
            foreach (var reloc in linked.Relocations)
                Apply(instructions, reloc, maps, engine, spec.Name);
            var origin = new VmProgramOrigin(linked.LineInfos,
                Verifier.VerifierInput.IsGplCompatible(spec.License.Length > 0 ? spec.License : obj.License), spec.ExpectedAttachType);
            programs.Add(spec.Name, LoadProgram(engine, instructions, spec, poisoned, origin));
        }

        // Declarative contents: PROG_ARRAY slots and maps of maps (.values = { [i] = &x }).
        foreach (var spec in obj.Maps)
        {
            foreach (var slot in spec.Contents)
            {
                object target = spec.Type == BpfMapType.ProgArray
                    ? programs.GetValueOrDefault(slot.Target) ?? throw new BpfException($"map '{spec.Name}' slot {slot.Index} refers to program '{slot.Target}', which the object does not have")
                    : maps.GetValueOrDefault(slot.Target) ?? throw new BpfException($"map '{spec.Name}' slot {slot.Index} refers to map '{slot.Target}', which the object does not have");
                var key = new byte[4];
                var value = new byte[4];
                BitConverter.TryWriteBytes(key, slot.Index);
                BitConverter.TryWriteBytes(value, engine.IdOf(target));
                maps[spec.Name].Update(key, value);
            }
        }
        return new VmCollection(programs, maps);
    }

    private static VmProgram LoadProgram(VmEngine engine, Instruction[] instructions, ProgramSpec spec, IReadOnlyDictionary<int, string>? poisoned,
        VmProgramOrigin origin)
    {
        try
        {
            return engine.LoadProgram(instructions, spec.Type, spec.Name, poisoned, origin);
        }
        catch (VmLoadException e)
        {
            throw new VmLoadException($"program '{spec.Name}' ({spec.SectionName}): {e.Message}");
        }
    }

    private static void Apply(Instruction[] insns, Relocation reloc, Dictionary<string, IVmMap> maps, VmEngine engine, string program)
    {
        int i = reloc.InstructionIndex;
        if (i < 0 || i >= insns.Length || (reloc is MapReference or MapValueReference or KconfigReference && (i + 1 >= insns.Length || !insns[i].IsWide)))
            throw new VmLoadException($"program '{program}': relocation {reloc} does not point at an ld_imm64");
        IVmMap Map(string name) => maps.TryGetValue(name, out var m) ? m
            : throw new VmLoadException($"program '{program}' refers to map '{name}', which the object does not define");
        switch (reloc)
        {
            case MapReference r:
                insns[i] = insns[i].WithSrc(PseudoSource.MapFd).WithImm(engine.IdOf(Map(r.MapName)));
                insns[i + 1] = insns[i + 1].WithImm(0);
                break;
            case MapValueReference r:
                insns[i] = insns[i].WithSrc(PseudoSource.MapValue).WithImm(engine.IdOf(Map(r.MapName)));
                insns[i + 1] = insns[i + 1].WithImm(r.Offset);
                break;
            case KconfigReference r:
            {
                var kconfig = maps.Values.FirstOrDefault(m => m.Name == ".kconfig" || m.Name.EndsWith(".kconfig", StringComparison.Ordinal))
                    ?? throw new VmLoadException($"program '{program}' reads __kconfig '{r.Symbol}' but the object has no .kconfig map");
                insns[i] = insns[i].WithSrc(PseudoSource.MapValue).WithImm(engine.IdOf(kconfig));
                insns[i + 1] = insns[i + 1].WithImm(r.Offset);
                break;
            }
            case KsymReference r:
                throw new VmLoadException($"program '{program}' refers to kernel symbol '{r.Symbol}' (__ksym), which the SharpBpf VM does not have");
            case KfuncCall r:
                throw new VmLoadException($"program '{program}' calls kernel function '{r.Function}' (kfunc), which the SharpBpf VM does not have");
        }
    }
}
