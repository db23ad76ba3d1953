using SharpBpf.Isa;

namespace SharpBpf.Objects;

/// <summary>
/// Writes an engine's map handles into a program's <c>ld_imm64</c> instructions: the one resolution of
/// <see cref="MapReference"/>, <see cref="MapValueReference"/> and <see cref="KconfigReference"/> both engines use
/// (the kernel's handle is the map fd, the VM's its engine id).
/// </summary>
public static class MapRelocator
{
    /// <summary>
    /// Returns a copy of <paramref name="instructions"/> with every map relocation resolved. <paramref name="handleOf"/>
    /// gives the handle of a map of <paramref name="maps"/> by name; <paramref name="engine"/> names the engine in the
    /// refusal of what it cannot resolve (__ksym variables, kfunc calls).
    /// </summary>
    public static Instruction[] Apply(string program, ReadOnlySpan<Instruction> instructions, IEnumerable<Relocation> relocations,
        IReadOnlyList<MapSpec> maps, Func<string, int> handleOf, string engine)
    {
        var insns = instructions.ToArray();
        foreach (var relocation in relocations)
        {
            switch (relocation)
            {
                case MapReference m:
                    Write(program, insns, m.InstructionIndex, PseudoSource.MapFd, Handle(program, maps, handleOf, m.MapName), 0);
                    break;
                case MapValueReference v:
                    Write(program, insns, v.InstructionIndex, PseudoSource.MapValue, Handle(program, maps, handleOf, v.MapName), v.Offset);
                    break;
                case KconfigReference k:
                    var kconfig = maps.FirstOrDefault(s => s.DataSection == ".kconfig")
                        ?? throw new BpfException($"program '{program}' reads __kconfig '{k.Symbol}' but the object has no .kconfig map");
                    Write(program, insns, k.InstructionIndex, PseudoSource.MapValue, handleOf(kconfig.Name), k.Offset);
                    break;
                case KsymReference k:
                    throw new BpfNotSupportedException($"program '{program}' refers to kernel symbol '{k.Symbol}' (__ksym), which the {engine} does not resolve yet");
                case KfuncCall f:
                    throw new BpfNotSupportedException($"program '{program}' calls kernel function '{f.Function}' (kfunc), which the {engine} does not resolve yet");
            }
        }
        return insns;
    }

    private static int Handle(string program, IReadOnlyList<MapSpec> maps, Func<string, int> handleOf, string name) =>
        maps.Any(m => m.Name == name) ? handleOf(name)
            : throw new BpfNotFoundException("map", name, $"program '{program}' refers to map '{name}', which the object does not define");

    private static void Write(string program, Instruction[] insns, int i, byte source, int handle, int offset)
    {
        if (i < 0 || i + 1 >= insns.Length || !insns[i].IsWide)
            throw new BpfFormatException($"program '{program}': the relocation at instruction {i} is not on an ld_imm64");
        insns[i] = insns[i].WithSrc(source).WithImm(handle);
        insns[i + 1] = insns[i + 1].WithImm(offset);
    }
}
