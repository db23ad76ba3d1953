using SharpBpf.Isa;
using SharpBpf.Maps;
using SharpBpf.Btf;
using SharpBpf.Objects;

namespace SharpBpf.Vm;

/// <summary>The live programs and maps of one object loaded into a <see cref="VmEngine"/>, by name. Disposing frees the
/// maps and retires the programs (running one afterwards throws <see cref="ObjectDisposedException"/>).</summary>
public sealed class VmCollection : BpfCollection<VmProgram, IVmMap>
{
    internal VmCollection(VmEngine engine) => Engine = engine;

    public VmEngine Engine { get; }

    public override void Dispose()
    {
        foreach (var program in Programs.Values)
        {
            program.Retire();
            Engine.Release(program);
        }
        foreach (var map in Maps.Values)
            Engine.Release(map);
        base.Dispose();
    }
}

/// <summary>Turns an <see cref="ObjectSpec"/> into live maps and programs: the VM's counterpart of libbpf's object load.</summary>
internal static class VmObjectLoader
{
    public static VmCollection Load(VmEngine engine, ObjectSpec obj)
    {
        var collection = new VmCollection(engine);
        try
        {
            foreach (var spec in obj.Maps)
                collection.AddMap(spec.Name, engine.CreateMap(spec));
            var targetBtf = engine.Options.TargetBtf;
            var core = targetBtf is null ? null : CoreApplier.RelocatorFor(obj, () => targetBtf);
            foreach (var spec in obj.Programs.Where(p => p.Autoload))
                collection.AddProgram(spec.Name, LoadProgram(engine, obj, spec, core, collection));
            FillSlots(engine, obj, collection);
            return collection;
        }
        catch
        {
            collection.Dispose();
            throw;
        }
    }

    private static VmProgram LoadProgram(VmEngine engine, ObjectSpec obj, ProgramSpec spec, CoreRelocator? core, VmCollection collection)
    {
        try
        {
            var linked = ProgramLinker.Link(obj, spec);
            IReadOnlyDictionary<int, string>? poisoned = null;
            ReadOnlySpan<Instruction> instructions = linked.Instructions;
            if (core is not null && linked.CoreRelocations.Count > 0)
            {
                var applied = CoreApplier.Apply(linked, core);
                instructions = applied.Instructions;
                poisoned = applied.PoisonedInstructions;
            }
            var relocated = MapRelocator.Apply(spec.Name, instructions, linked.Relocations, obj.Maps,
                name => engine.IdOf(collection.Map(name)), "SharpBpf VM");
            var origin = new VmProgramOrigin(linked.LineInfos,
                Verifier.VerifierInput.IsGplCompatible(spec.License.Length > 0 ? spec.License : obj.License), spec.ExpectedAttachType);
            return engine.LoadProgram(relocated, spec.Type, spec.Name, poisoned, origin);
        }
        catch (VmLoadException e)
        {
            throw new VmLoadException($"program '{spec.Name}' ({spec.SectionName}): {e.Message}", -1, e) { Program = spec.Name };
        }
    }

    /// <summary>Declarative contents: PROG_ARRAY slots and maps of maps (<c>.values = { [i] = &amp;x }</c>).</summary>
    private static void FillSlots(VmEngine engine, ObjectSpec obj, VmCollection collection)
    {
        foreach (var spec in obj.Maps)
        {
            foreach (var slot in spec.Contents)
            {
                object target = spec.Type == BpfMapType.ProgArray
                    ? collection.Programs.GetValueOrDefault(slot.Target) ?? throw new BpfNotFoundException("program", slot.Target,
                        $"map '{spec.Name}' slot {slot.Index} refers to program '{slot.Target}', which was not loaded")
                    : collection.Maps.GetValueOrDefault(slot.Target) ?? throw new BpfNotFoundException("map", slot.Target,
                        $"map '{spec.Name}' slot {slot.Index} refers to map '{slot.Target}', which the object does not define");
                collection.Maps[spec.Name].Update(BitConverter.GetBytes(slot.Index), BitConverter.GetBytes(engine.IdOf(target)));
            }
        }
    }
}
