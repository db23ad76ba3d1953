using SharpBpf.Btf;
using SharpBpf.Isa;

namespace SharpBpf.Objects;

/// <summary>One CO-RE relocation of a linked program: where it is, what the relocator computed, and whether the instruction was poisoned.</summary>
public sealed record AppliedCoreRelocation(int InstructionIndex, CoreRelocationResult Result, bool Poisoned)
{
    /// <summary>Why the instruction was poisoned (no target match, or a field size that a load/store cannot adapt to); null when patched.</summary>
    public string? PoisonReason { get; init; }
}

/// <summary>A linked program's instructions with its CO-RE relocations applied.</summary>
public sealed class CoreApplication
{
    internal CoreApplication(Instruction[] instructions, IReadOnlyList<AppliedCoreRelocation> relocations)
    {
        Instructions = instructions;
        Relocations = relocations;
        var poisoned = new Dictionary<int, string>();
        foreach (var r in relocations.Where(r => r.Poisoned))
        {
            poisoned[r.InstructionIndex] = r.PoisonReason!;
            if (instructions.Length > r.InstructionIndex + 1 && CoreApplier.IsPoison(instructions[r.InstructionIndex + 1]))
                poisoned.TryAdd(r.InstructionIndex + 1, r.PoisonReason!); // second slot of a poisoned ld_imm64
        }
        PoisonedInstructions = poisoned;
    }

    /// <summary>The patched instructions (a copy; the linked program is unchanged).</summary>
    public Instruction[] Instructions { get; }
    public IReadOnlyList<AppliedCoreRelocation> Relocations { get; }
    /// <summary>Instruction index → what could not be resolved there, for every poisoned slot.</summary>
    public IReadOnlyDictionary<int, string> PoisonedInstructions { get; }
}

/// <summary>
/// Applies CO-RE relocations to a linked program as libbpf's bpf_core_patch_insn does: the immediate of an ALU/ALU64
/// instruction or of an <c>ld_imm64</c>, the offset of a load/store (and its access size when the field's size differs,
/// for pointers and unsigned integers). The value the compiler put there is checked first. An instruction whose
/// relocation has no target (or whose field cannot be loaded at its new size) becomes a call to the invalid helper
/// <see cref="PoisonHelperId"/>, which the verifier reports as "invalid func unknown#195896080" if it is reachable
/// and ignores if it is dead code.
/// </summary>
public static class CoreApplier
{
    /// <summary>The helper id libbpf uses to poison an instruction (0xbad2310, "bad relo").</summary>
    public const int PoisonHelperId = 0xbad2310;

    /// <summary>Whether <paramref name="insn"/> is a poisoned instruction (<c>call 0xbad2310</c>).</summary>
    public static bool IsPoison(Instruction insn) => insn.Opcode == Opcodes.Call && insn.Src == 0 && insn.Imm == PoisonHelperId;

    /// <summary>Resolves and applies every CO-RE relocation of <paramref name="linked"/>.</summary>
    /// <param name="linked">the program, linked with its subprograms.</param>
    /// <param name="relocator">resolves against the target BTF (the kernel's, or one given by the caller).</param>
    /// <param name="instructions">the instructions to patch (default: the linked ones); a copy is patched.</param>
    /// <exception cref="BpfException">a relocation is malformed, ambiguous, or does not fit the instruction it sits on.</exception>
    public static CoreApplication Apply(LinkedProgram linked, CoreRelocator relocator, Instruction[]? instructions = null)
    {
        ArgumentNullException.ThrowIfNull(linked);
        ArgumentNullException.ThrowIfNull(relocator);
        var insns = (Instruction[])(instructions ?? linked.Instructions).Clone();
        var applied = new List<AppliedCoreRelocation>();
        var records = linked.CoreRelocations;
        for (var n = 0; n < records.Count; n++)
        {
            var relo = records[n];
            var index = (int)relo.InstructionOffset;
            if (index < 0 || index >= insns.Length)
                throw new BpfException($"program '{linked.Name}': CO-RE relocation #{n} is at instruction {index}, outside its {insns.Length} instructions");
            CoreRelocationResult result;
            try
            {
                result = relocator.Resolve(relo);
            }
            catch (BpfException e)
            {
                throw new BpfException($"program '{linked.Name}': CO-RE relocation #{n} at instruction {index}: {e.Message}");
            }
            string? reason = result.Poison ? "no match in the target BTF" : null;
            if (!result.Poison)
                reason = Patch(linked.Name, n, insns, index, result);
            if (reason is not null)
                Poison(insns, index);
            applied.Add(new AppliedCoreRelocation(index, result, reason is not null)
            {
                PoisonReason = reason is null ? null : $"unresolved CO-RE relocation {result.Description}: {reason}",
            });
        }
        return new CoreApplication(insns, applied);
    }

    /// <summary>
    /// A relocator for <paramref name="obj"/>'s programs against the BTF <paramref name="target"/> returns (called only when
    /// some program has CO-RE relocations), and the module BTFs <paramref name="modules"/> returns when a type has no
    /// candidate in the target; null when no program has CO-RE relocations.
    /// </summary>
    /// <exception cref="BpfException">the object has CO-RE relocations but no .BTF to resolve them from.</exception>
    public static CoreRelocator? RelocatorFor(ObjectSpec obj, Func<BtfSpec> target, Func<IEnumerable<BtfSpec>>? modules = null)
    {
        ArgumentNullException.ThrowIfNull(obj);
        ArgumentNullException.ThrowIfNull(target);
        if (!obj.Programs.Concat(obj.Subprograms).Any(p => p.CoreRelocations.Count > 0))
            return null;
        var local = obj.BtfTypes ?? throw new BpfException($"object '{obj.Name}' has CO-RE relocations but no .BTF section");
        return new CoreRelocator(local, target(), modules);
    }

    /// <summary>Replaces the instruction (both slots of an ld_imm64) with <c>call 0xbad2310</c>.</summary>
    private static void Poison(Instruction[] insns, int index)
    {
        var poison = new Instruction(Opcodes.Call, 0, 0, 0, PoisonHelperId);
        // Poison the second slot of an ld_imm64 too, so the verifier does not complain about opcode 0x00 instead.
        if (insns[index].IsWide && index + 1 < insns.Length)
            insns[index + 1] = poison;
        insns[index] = poison;
    }

    /// <summary>Patches one instruction; returns a reason to poison it instead, or null.</summary>
    private static string? Patch(string program, int n, Instruction[] insns, int index, CoreRelocationResult res)
    {
        var insn = insns[index];
        BpfException Fail(string what) =>
            new($"program '{program}': CO-RE relocation #{n} ({res.Description}) at instruction {index}: {what}");
        switch (insn.Class)
        {
            case OpClass.Alu:
            case OpClass.Alu64:
                if (insn.Source != OpSource.K)
                    throw Fail("ALU instruction takes a register operand, not an immediate");
                if (res.ValidateLocalValue && (ulong)(long)insn.Imm != res.LocalValue)
                    throw Fail($"unexpected ALU immediate {insn.Imm}, expected {res.LocalValue} (to become {res.TargetValue})");
                insns[index] = insn.WithImm(unchecked((int)res.TargetValue));
                return null;
            case OpClass.Ldx:
            case OpClass.St:
            case OpClass.Stx:
                if (res.ValidateLocalValue && (ulong)(long)insn.Offset != res.LocalValue)
                    throw Fail($"unexpected memory offset {insn.Offset}, expected {res.LocalValue} (to become {res.TargetValue})");
                if (res.TargetValue > (ulong)short.MaxValue)
                    throw Fail($"offset {res.TargetValue} does not fit a load/store");
                if (res.FailsMemorySizeAdjustment)
                    return $"the field is {res.LocalFieldSize} bytes locally and {res.TargetFieldSize} in the target, and only pointers and unsigned integers can be read at another size";
                insn = insn.WithOffset((short)res.TargetValue);
                if (res.LocalFieldSize != res.TargetFieldSize)
                {
                    var bytes = AccessBytes(insn.AccessSize);
                    if (bytes != res.LocalFieldSize)
                        throw Fail($"the instruction accesses {bytes} bytes, the field is {res.LocalFieldSize}");
                    var size = res.TargetFieldSize switch
                    {
                        1 => OpSize.B, 2 => OpSize.H, 4 => OpSize.W, 8 => OpSize.DW,
                        _ => throw Fail($"the target field is {res.TargetFieldSize} bytes, which no load/store can access"),
                    };
                    insn = new Instruction((byte)((insn.Opcode & ~0x18) | (byte)size), insn.Dst, insn.Src, insn.Offset, insn.Imm);
                }
                insns[index] = insn;
                return null;
            case OpClass.Ld:
            {
                if (!insn.IsWide || index + 1 >= insns.Length || insn.Src != 0 || insn.Offset != 0
                    || insns[index + 1] is { Opcode: not 0 } or { Dst: not 0 } or { Src: not 0 } or { Offset: not 0 })
                    throw Fail("ld_imm64 has an unexpected form");
                var imm = (ulong)Instruction.Wide(insn, insns[index + 1]);
                if (res.ValidateLocalValue && imm != res.LocalValue)
                    throw Fail($"unexpected ld_imm64 value {imm}, expected {res.LocalValue} (to become {res.TargetValue})");
                insns[index] = insn.WithImm(unchecked((int)res.TargetValue));
                insns[index + 1] = insns[index + 1].WithImm(unchecked((int)(res.TargetValue >> 32)));
                return null;
            }
            default:
                throw Fail($"cannot relocate instruction {insn} (class {insn.Class})");
        }
    }

    private static int AccessBytes(OpSize size) => size switch
    {
        OpSize.B => 1, OpSize.H => 2, OpSize.W => 4, _ => 8,
    };
}
