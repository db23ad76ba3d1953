using SharpBpf.Isa;

namespace SharpBpf.Vm;

/// <summary>
/// A program checked and decoded for the interpreter. Loading rejects what could make the interpreter misbehave:
/// invalid opcodes and registers, writes to r10, jumps and calls outside the program or into the middle of an
/// <c>ld_imm64</c>, unknown helpers, unresolvable maps. Memory safety itself is enforced at run time.
/// </summary>
internal sealed class VmCode
{
    /// <summary>Decoded instructions, one per slot, plus a sentinel that faults when execution falls off the end.</summary>
    public readonly VmInsn[] Insns;
    public readonly Instruction[] Source;
    public readonly VmHelper?[] Helpers;
    public readonly string Name;
    public readonly BpfProgramType Type;
    /// <summary>Legacy packet loads (LD_ABS/LD_IND) present: such programs may not use local calls (as in the kernel).</summary>
    public readonly bool UsesPacketLoads;
    /// <summary>Slots poisoned by CO-RE (decoded as <see cref="VmInsn.Poisoned"/>) → what was unresolved there.</summary>
    private readonly IReadOnlyDictionary<int, string>? _poisoned;
    /// <summary>The maps of the engine by id (what the JIT resolves map pointers it sees in <c>ld_imm64</c> with).</summary>
    public Func<int, IVmMap?> MapById { get; private init; } = _ => null;
    /// <summary>The CPU runs of the engine execute on (per-CPU map elements).</summary>
    public int Cpu { get; private init; }
    /// <summary>The compiled form, once the JIT has compiled it (see <see cref="Jit.JitExecutor"/>).</summary>
    public Jit.JitProgram? Jit;
    /// <summary>What the static verifier proved at load (<see cref="VmOptions.VerifyBeforeLoad"/>); null: nothing, every check stays.</summary>
    public Verifier.VerifiedFacts? Verified;

    private VmCode(VmInsn[] insns, Instruction[] source, VmHelper?[] helpers, string name, BpfProgramType type, bool packetLoads,
        IReadOnlyDictionary<int, string>? poisoned)
    {
        _poisoned = poisoned;
        Insns = insns;
        Source = source;
        Helpers = helpers;
        Name = name;
        Type = type;
        UsesPacketLoads = packetLoads;
    }

    public Instruction SourceAt(int pc) => (uint)pc < (uint)Source.Length ? Source[pc] : default;

    /// <summary>Why the instruction at <paramref name="pc"/> cannot execute (its decoded op is not one the interpreter runs).</summary>
    public string InvalidInstructionReason(int pc)
    {
        var op = (uint)pc < (uint)Insns.Length ? Insns[pc].Op : VmInsn.FellOffEnd;
        return op switch
        {
            VmInsn.FellOffEnd => "execution fell off the end of the program (or into the second half of an ld_imm64)",
            VmInsn.Poisoned => _poisoned?.GetValueOrDefault(pc)
                ?? $"unresolved CO-RE relocation (the loader poisoned this instruction with call 0x{Objects.CoreApplier.PoisonHelperId:x})",
            _ => $"invalid opcode 0x{op:x2}",
        };
    }

    public static VmCode Decode(Instruction[] source, string name, BpfProgramType type, VmHelperTable helpers,
        Func<int, IVmMap?> mapById, Func<IVmMap, int> idOfMap, IReadOnlyList<IVmMap> fdArray,
        IReadOnlyDictionary<int, string>? poisoned = null, int cpu = 0)
    {
        int n = source.Length;
        if (n == 0)
            throw new VmLoadException($"program '{name}' has no instructions");
        var insns = GC.AllocateArray<VmInsn>(n + 1, pinned: true);
        var helperSnapshot = helpers.Snapshot();
        var secondHalf = new bool[n];
        bool packetLoads = false, localCalls = false;

        for (int pc = 0; pc < n; pc++)
        {
            var insn = source[pc];
            var info = insn.Info;
            if (!info.IsValid)
                throw new VmLoadException($"invalid opcode 0x{insn.Opcode:x2}", pc);
            ref var d = ref insns[pc];
            d.Op = insn.Opcode;
            d.Dst = insn.Dst;
            d.Src = insn.Src;
            d.Aux = insn.Offset;
            d.Imm = insn.Imm;

            bool checkSrc = info.Shape is not (InstructionShape.LoadImm64 or InstructionShape.Call);
            if (insn.Dst > 10 || (checkSrc && insn.Src > 10))
                throw new VmLoadException($"invalid register in {VmInstructionText.Format(insn)}", pc);

            switch (info.Shape)
            {
                case InstructionShape.Alu:
                case InstructionShape.Neg:
                    RequireWritable(insn, pc);
                    CheckAluOffset(insn, info, pc);
                    break;
                case InstructionShape.Endian:
                    RequireWritable(insn, pc);
                    if (insn.Imm is not (16 or 32 or 64))
                        throw new VmLoadException($"invalid byte swap width {insn.Imm}", pc);
                    break;
                case InstructionShape.CondJump:
                case InstructionShape.Ja:
                {
                    long target = (long)pc + 1 + (insn.Opcode == Opcodes.Ja32 ? insn.Imm : insn.Offset);
                    d.Aux = CheckTarget(target, n, pc, "jump") - pc; // relative: the interpreter moves its instruction pointer
                    break;
                }
                case InstructionShape.Call:
                    switch (insn.Src)
                    {
                        case PseudoSource.Helper when insn.Imm == Objects.CoreApplier.PoisonHelperId:
                            d.Op = VmInsn.Poisoned; // loads; faults if a run reaches it, as the verifier rejects it only when reachable
                            break;
                        case PseudoSource.Helper:
                            if (insn.Imm < 0 || insn.Imm >= helperSnapshot.Length || helperSnapshot[insn.Imm] is null)
                                throw new VmLoadException(HelperMissing(insn.Imm), pc);
                            break;
                        case PseudoSource.Call:
                            d.Aux = CheckTarget((long)pc + 1 + insn.Imm, n, pc, "call") - pc;
                            localCalls = true;
                            break;
                        case PseudoSource.KfuncCall:
                            throw new VmLoadException($"kernel function calls (kfunc, BTF id {insn.Imm}) are not available in the SharpBpf VM", pc);
                        default:
                            throw new VmLoadException($"invalid call source {insn.Src}", pc);
                    }
                    break;
                case InstructionShape.Callx:
                    localCalls = true;
                    break;
                case InstructionShape.LoadImm64:
                    RequireWritable(insn, pc);
                    if (pc + 1 >= n || source[pc + 1].Opcode != 0)
                        throw new VmLoadException("ld_imm64 needs a second slot with opcode 0", pc);
                    secondHalf[pc + 1] = true;
                    d.Imm = ResolveImm64(insn, source[pc + 1], pc, n, mapById, idOfMap, fdArray);
                    insns[pc + 1].Op = VmInsn.FellOffEnd;
                    pc++;
                    break;
                case InstructionShape.LoadPacket:
                    packetLoads = true;
                    break;
                case InstructionShape.Load:
                    RequireWritable(insn, pc);
                    break;
                case InstructionShape.Atomic:
                    CheckAtomic(insn, pc);
                    break;
            }
        }
        if (packetLoads && localCalls)
            throw new VmLoadException("legacy packet loads (ld_abs/ld_ind) cannot be mixed with bpf-to-bpf calls");

        for (int pc = 0; pc < n; pc++)
        {
            var shape = source[pc].Info.Shape;
            bool jumps = shape is InstructionShape.CondJump or InstructionShape.Ja
                || (shape == InstructionShape.Call && source[pc].Src == PseudoSource.Call);
            if (jumps && secondHalf[pc + insns[pc].Aux])
                throw new VmLoadException("jump into the middle of an ld_imm64", pc);
            if (shape == InstructionShape.LoadImm64 && source[pc].Src == PseudoSource.Func)
            {
                int target = VmHandles.FunctionPc((ulong)insns[pc].Imm);
                if (secondHalf[target])
                    throw new VmLoadException("function address points into the middle of an ld_imm64", pc);
            }
            if (shape == InstructionShape.LoadImm64)
                pc++;
        }
        insns[n].Op = VmInsn.FellOffEnd;
        return new VmCode(insns, source, helperSnapshot, name, type, packetLoads, poisoned) { MapById = mapById, Cpu = cpu };
    }

    public static string HelperMissing(long id) =>
        BpfHelperNames.Name((int)id) is { } helper
            ? $"helper {helper}#{id} is not available in the SharpBpf VM"
            : $"helper #{id} is unknown (not a kernel helper id and not registered in the VmHelperTable)";

    private static void RequireWritable(Instruction insn, int pc)
    {
        if (insn.Dst == 10)
            throw new VmLoadException($"frame pointer r10 is read only: {VmInstructionText.Format(insn)}", pc);
    }

    private static void CheckAluOffset(Instruction insn, OpcodeInfo info, int pc)
    {
        bool ok = insn.AluOp switch
        {
            AluOp.Div or AluOp.Mod => insn.Offset is 0 or 1,
            AluOp.Mov => insn.Offset == 0 || (info.UsesRegisterSource && (insn.Offset is 8 or 16 || (insn.Offset == 32 && info.Is64))),
            _ => true,
        };
        if (!ok)
            throw new VmLoadException($"invalid offset {insn.Offset} for {info.Mnemonic}", pc);
    }

    private static void CheckAtomic(Instruction insn, int pc)
    {
        switch (insn.Imm)
        {
            case AtomicOp.Add or AtomicOp.Or or AtomicOp.And or AtomicOp.Xor:
                break;
            case AtomicOp.Add | AtomicOp.Fetch or AtomicOp.Or | AtomicOp.Fetch or AtomicOp.And | AtomicOp.Fetch
                or AtomicOp.Xor | AtomicOp.Fetch or AtomicOp.Xchg:
                if (insn.Src == 10)
                    throw new VmLoadException("frame pointer r10 is read only (atomic fetch writes its source register)", pc);
                break;
            case AtomicOp.CmpXchg:
            case VmAtomic.StoreRelease:
                break;
            case VmAtomic.LoadAcquire:
                if (insn.Dst == 10)
                    throw new VmLoadException("frame pointer r10 is read only", pc);
                break;
            default:
                throw new VmLoadException($"invalid atomic operation 0x{insn.Imm:x}", pc);
        }
    }

    private static int CheckTarget(long target, int n, int pc, string what)
    {
        if (target < 0 || target >= n)
            throw new VmLoadException($"{what} target {target} is outside the program (0..{n - 1})", pc);
        return (int)target;
    }

    private static long ResolveImm64(Instruction low, Instruction high, int pc, int n,
        Func<int, IVmMap?> mapById, Func<IVmMap, int> idOfMap, IReadOnlyList<IVmMap> fdArray)
    {
        switch (low.Src)
        {
            case 0:
                return Instruction.Wide(low, high);
            case PseudoSource.MapFd:
            case PseudoSource.MapIdx:
            {
                var map = FindMap(low, pc, mapById, fdArray);
                return (long)VmHandles.Map(idOfMap(map));
            }
            case PseudoSource.MapValue:
            case PseudoSource.MapIdxValue:
                return unchecked((long)DirectValueAddress(FindMap(low, pc, mapById, fdArray), high.Imm, pc));
            case PseudoSource.Func:
                return (long)VmHandles.Function(CheckTarget((long)pc + 1 + low.Imm, n, pc, "function address"));
            case PseudoSource.BtfId:
                throw new VmLoadException($"ld_imm64 of kernel BTF id {low.Imm} (a ksym) is not available in the SharpBpf VM", pc);
            default:
                throw new VmLoadException($"invalid ld_imm64 source {low.Src}", pc);
        }
    }

    private static IVmMap FindMap(Instruction low, int pc, Func<int, IVmMap?> mapById, IReadOnlyList<IVmMap> fdArray)
    {
        if (low.Src is PseudoSource.MapIdx or PseudoSource.MapIdxValue)
        {
            if (low.Imm < 0 || low.Imm >= fdArray.Count)
                throw new VmLoadException($"ld_imm64 refers to map index {low.Imm} but {fdArray.Count} maps were given", pc);
            return fdArray[low.Imm];
        }
        return mapById(low.Imm) ?? throw new VmLoadException($"ld_imm64 refers to map id {low.Imm}, which is not a map of this engine", pc);
    }

    /// <summary>The address of a map's value for BPF_PSEUDO_MAP_VALUE: single-value maps (global data arrays) only, as the kernel.</summary>
    private static unsafe ulong DirectValueAddress(IVmMap map, int offset, int pc)
    {
        if (map.Type != BpfMapType.Array || map.MaxEntries != 1)
            throw new VmLoadException($"map '{map.Name}' ({map.Type}, {map.MaxEntries} entries) does not support direct value access: only single-entry arrays do", pc);
        if (offset < 0 || offset >= map.ValueSize)
            throw new VmLoadException($"offset {offset} is outside the {map.ValueSize}-byte value of map '{map.Name}'", pc);
        uint key = 0;
        byte* value = map.LookupFromProgram((byte*)&key, 0);
        if (value == null)
            throw new VmLoadException($"map '{map.Name}' has no value to point into", pc);
        return (ulong)value + (ulong)offset;
    }
}
