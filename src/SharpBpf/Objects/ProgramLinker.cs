using SharpBpf.Btf;
using SharpBpf.Isa;

namespace SharpBpf.Objects;

/// <summary>One function inside a <see cref="LinkedProgram"/>: where its instructions start.</summary>
public sealed record LinkedFunction(ProgramSpec Function, int StartIndex);

/// <summary>
/// A program ready for an engine: its own instructions followed by every subprogram it reaches, with bpf-to-bpf
/// call and function-address immediates fixed to relative offsets. <see cref="Relocations"/> holds what is left
/// for the engine (maps, map values, externs), indexed into <see cref="Instructions"/>.
/// </summary>
public sealed class LinkedProgram
{
    internal LinkedProgram(ProgramSpec program, Instruction[] instructions, List<Relocation> relocations, List<LinkedFunction> functions)
    {
        Program = program;
        Instructions = instructions;
        Relocations = relocations;
        Functions = functions;
    }

    public ProgramSpec Program { get; }
    public string Name => Program.Name;
    public Instruction[] Instructions { get; }
    /// <summary>Map, map value, kconfig, ksym and kfunc relocations, by instruction index of <see cref="Instructions"/>, in order.</summary>
    public List<Relocation> Relocations { get; }
    /// <summary>The main function first (at 0), then each subprogram in the order it was appended.</summary>
    public IReadOnlyList<LinkedFunction> Functions { get; }

    /// <summary>func_info for the kernel (one per function with BTF), offsets in instructions of <see cref="Instructions"/>.</summary>
    public IReadOnlyList<BtfFuncInfo> FuncInfos => Collect(f => f.FuncInfos, (r, at) => r with { InstructionOffset = r.InstructionOffset + at });
    /// <summary>line_info, offsets in instructions of <see cref="Instructions"/>.</summary>
    public IReadOnlyList<BtfLineInfo> LineInfos => Collect(f => f.LineInfos, (r, at) => r with { InstructionOffset = r.InstructionOffset + at });
    /// <summary>CO-RE relocations, offsets in instructions of <see cref="Instructions"/>.</summary>
    public IReadOnlyList<BtfCoreRelocation> CoreRelocations => Collect(f => f.CoreRelocations, (r, at) => r with { InstructionOffset = r.InstructionOffset + at });

    private List<T> Collect<T>(Func<ProgramSpec, List<T>> records, Func<T, uint, T> shift)
    {
        var result = new List<T>();
        foreach (var f in Functions)
            foreach (var r in records(f.Function))
                result.Add(shift(r, (uint)f.StartIndex));
        return result;
    }
}

/// <summary>
/// Links a program with the subprograms it calls, as libbpf does: depth-first, each callee appended once at the
/// end when first reached, then its own calls followed.
/// </summary>
public static class ProgramLinker
{
    public static LinkedProgram Link(ObjectSpec obj, ProgramSpec program)
    {
        var instructions = new List<Instruction>(program.Instructions);
        var relocations = new List<Relocation>();
        var functions = new List<LinkedFunction> { new(program, 0) };
        var placed = new Dictionary<ProgramSpec, int>(ReferenceEqualityComparer.Instance) { [program] = 0 };
        // Explicit stack (function, base, next relocation) instead of recursion: call chains in hostile input can be deep.
        var stack = new Stack<(ProgramSpec Function, int Base, int Next)>();
        stack.Push((program, 0, 0));
        while (stack.Count > 0)
        {
            var (function, start, next) = stack.Pop();
            for (int r = next; r < function.Relocations.Count; r++)
            {
                var reloc = function.Relocations[r];
                int index = start + reloc.InstructionIndex;
                if (reloc.InstructionIndex < 0 || reloc.InstructionIndex >= function.Instructions.Length)
                    throw new BpfException($"program '{program.Name}': relocation at instruction {reloc.InstructionIndex} of '{function.Name}' is outside its {function.Instructions.Length} instructions");
                if (reloc is not SubprogramCall call)
                {
                    relocations.Add(reloc with { InstructionIndex = index });
                    continue;
                }
                var callee = obj.FindFunction(call.TargetSection, call.TargetOffset)
                    ?? throw new BpfException($"program '{program.Name}': '{function.Name}' calls '{call.Target}' ({call.TargetSection} + {call.TargetOffset}), which the object does not define");
                bool descend = false;
                if (!placed.TryGetValue(callee, out int calleeStart))
                {
                    calleeStart = instructions.Count;
                    placed[callee] = calleeStart;
                    instructions.AddRange(callee.Instructions);
                    functions.Add(new LinkedFunction(callee, calleeStart));
                    descend = true;
                }
                var fixedUp = instructions[index].WithImm(calleeStart - index - 1);
                // clang 14 emits function addresses as plain ld_imm64; the kernel wants BPF_PSEUDO_FUNC (libbpf marks them too).
                instructions[index] = call.IsAddressLoad ? fixedUp.WithSrc(PseudoSource.Func) : fixedUp;
                if (descend)
                {
                    stack.Push((function, start, r + 1));
                    stack.Push((callee, calleeStart, 0));
                    break;
                }
            }
        }
        relocations.Sort((a, b) => a.InstructionIndex.CompareTo(b.InstructionIndex));
        return new LinkedProgram(program, [.. instructions], relocations, functions);
    }

    /// <summary>Links every program of the object.</summary>
    public static IEnumerable<LinkedProgram> LinkAll(ObjectSpec obj) => obj.Programs.Select(p => Link(obj, p));
}
