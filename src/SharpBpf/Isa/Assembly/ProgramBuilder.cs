using System.Runtime.CompilerServices;

namespace SharpBpf.Isa.Assembly;

/// <summary>An <c>ld_imm64</c> the builder emitted for a map, for the loader to patch (fd or value address).</summary>
/// <param name="InstructionIndex">Slot of the ld_imm64's first half.</param>
/// <param name="ValueOffset">Null for the map itself (BPF_PSEUDO_MAP_FD), else the offset into its value (BPF_PSEUDO_MAP_VALUE).</param>
public readonly record struct MapLoad(int InstructionIndex, string MapName, int? ValueOffset);

/// <summary>
/// A small fluent builder for programs in C#, with labels resolved to offsets:
/// <code>
/// var insns = new ProgramBuilder()
///     .Mov64(R0, 0).JumpIf(JmpOp.Jeq, R1, 0, "out")
///     .LoadMapFd(R1, "counts").Call("bpf_map_lookup_elem")
///     .Label("out").Exit()
///     .Build();
/// </code>
/// Opcodes come from <see cref="OpcodeTable"/>; mistakes (unknown or duplicate labels, a bad helper name, jumps out of
/// range) raise <see cref="ProgramBuilderException"/>.
/// </summary>
public sealed class ProgramBuilder
{
    private readonly List<Instruction> _instructions = [];
    private readonly Dictionary<string, int> _labels = new(StringComparer.Ordinal);
    private readonly List<(int Slot, string Label, bool InImm)> _fixups = [];
    private readonly List<MapLoad> _maps = [];

    /// <summary>Slots emitted so far (ld_imm64 counts two).</summary>
    public int Count => _instructions.Count;

    /// <summary>The map loads emitted so far, for a loader to relocate.</summary>
    public IReadOnlyList<MapLoad> MapLoads => _maps;

    /// <summary>Appends a ready-made instruction.</summary>
    public ProgramBuilder Emit(Instruction insn)
    {
        _instructions.Add(insn);
        return this;
    }

    /// <summary>Names the next instruction.</summary>
    public ProgramBuilder Label(string name)
    {
        if (!_labels.TryAdd(name, _instructions.Count))
            throw new ProgramBuilderException($"label '{name}' is defined twice");
        return this;
    }

    // ALU

    /// <summary><c>dst op= imm</c> (64-bit).</summary>
    public ProgramBuilder Alu64(AluOp op, Register dst, int imm) => Alu(OpClass.Alu64, op, dst, imm);
    /// <summary><c>dst op= src</c> (64-bit).</summary>
    public ProgramBuilder Alu64(AluOp op, Register dst, Register src) => Alu(OpClass.Alu64, op, dst, src);
    /// <summary><c>wdst op= imm</c> (32-bit, zero-extends).</summary>
    public ProgramBuilder Alu32(AluOp op, Register dst, int imm) => Alu(OpClass.Alu, op, dst, imm);
    /// <summary><c>wdst op= wsrc</c> (32-bit, zero-extends).</summary>
    public ProgramBuilder Alu32(AluOp op, Register dst, Register src) => Alu(OpClass.Alu, op, dst, src);

    public ProgramBuilder Mov64(Register dst, int imm) => Alu64(AluOp.Mov, dst, imm);
    public ProgramBuilder Mov64(Register dst, Register src) => Alu64(AluOp.Mov, dst, src);
    public ProgramBuilder Mov32(Register dst, int imm) => Alu32(AluOp.Mov, dst, imm);
    public ProgramBuilder Mov32(Register dst, Register src) => Alu32(AluOp.Mov, dst, src);
    public ProgramBuilder Add64(Register dst, int imm) => Alu64(AluOp.Add, dst, imm);
    public ProgramBuilder Add64(Register dst, Register src) => Alu64(AluOp.Add, dst, src);
    public ProgramBuilder Add32(Register dst, int imm) => Alu32(AluOp.Add, dst, imm);
    public ProgramBuilder Add32(Register dst, Register src) => Alu32(AluOp.Add, dst, src);
    public ProgramBuilder Sub64(Register dst, int imm) => Alu64(AluOp.Sub, dst, imm);
    public ProgramBuilder Sub64(Register dst, Register src) => Alu64(AluOp.Sub, dst, src);

    /// <summary><c>dst = -dst</c>.</summary>
    public ProgramBuilder Neg64(Register dst) => Emit(Encode(OpClass.Alu64, AluOp.Neg, OpSource.K, dst, 0, 0, 0));
    public ProgramBuilder Neg32(Register dst) => Emit(Encode(OpClass.Alu, AluOp.Neg, OpSource.K, dst, 0, 0, 0));

    /// <summary>Signed division (ISA v4): <c>dst s/= src</c>.</summary>
    public ProgramBuilder SignedDiv64(Register dst, Register src) => Emit(Encode(OpClass.Alu64, AluOp.Div, OpSource.X, dst, src, 1, 0));

    /// <summary>Sign-extending move (ISA v4): <c>dst = (s8|s16|s32)src</c>.</summary>
    public ProgramBuilder MovSx64(Register dst, Register src, int fromBits)
    {
        if (fromBits is not (8 or 16 or 32))
            throw new ProgramBuilderException($"movsx extends from 8, 16 or 32 bits, not {fromBits}");
        return Emit(Encode(OpClass.Alu64, AluOp.Mov, OpSource.X, dst, src, (short)fromBits, 0));
    }

    /// <summary>Converts dst to big-endian (<c>be16/32/64</c>) or little-endian (<c>le</c>) order.</summary>
    public ProgramBuilder Endian(Register dst, int bits, bool toBigEndian) =>
        Emit(Encode(OpClass.Alu, AluOp.End, toBigEndian ? OpSource.X : OpSource.K, dst, 0, 0, CheckWidth(bits)));

    /// <summary>Unconditional byte swap (ISA v4 <c>bswap16/32/64</c>).</summary>
    public ProgramBuilder ByteSwap(Register dst, int bits) =>
        Emit(Encode(OpClass.Alu64, AluOp.End, OpSource.K, dst, 0, 0, CheckWidth(bits)));

    // Loads and stores

    /// <summary><c>dst = imm64</c> (two slots).</summary>
    public ProgramBuilder LoadImm64(Register dst, long value) => LoadWide(dst, 0, (int)value, (int)(value >> 32));

    /// <summary><c>dst = &amp;map</c>: an ld_imm64 (src 1) that the loader points at <paramref name="mapName"/>.</summary>
    public ProgramBuilder LoadMapFd(Register dst, string mapName)
    {
        _maps.Add(new MapLoad(_instructions.Count, mapName, null));
        return LoadWide(dst, PseudoSource.MapFd, 0, 0);
    }

    /// <summary><c>dst = &amp;map.value[offset]</c>: an ld_imm64 (src 2), as global variables use.</summary>
    public ProgramBuilder LoadMapValue(Register dst, string mapName, int offset = 0)
    {
        _maps.Add(new MapLoad(_instructions.Count, mapName, offset));
        return LoadWide(dst, PseudoSource.MapValue, 0, offset);
    }

    /// <summary><c>dst = *(size *)(src + offset)</c>.</summary>
    public ProgramBuilder Load(OpSize size, Register dst, Register src, short offset = 0) =>
        Emit(new Instruction((byte)((byte)OpClass.Ldx | (byte)OpMode.Mem | (byte)size), (byte)dst, (byte)src, offset, 0));

    /// <summary><c>*(size *)(dst + offset) = src</c>.</summary>
    public ProgramBuilder Store(OpSize size, Register dst, short offset, Register src) =>
        Emit(new Instruction((byte)((byte)OpClass.Stx | (byte)OpMode.Mem | (byte)size), (byte)dst, (byte)src, offset, 0));

    /// <summary><c>*(size *)(dst + offset) = imm</c>.</summary>
    public ProgramBuilder Store(OpSize size, Register dst, short offset, int imm) =>
        Emit(new Instruction((byte)((byte)OpClass.St | (byte)OpMode.Mem | (byte)size), (byte)dst, 0, offset, imm));

    /// <summary>An atomic read-modify-write at <c>dst + offset</c>; <paramref name="operation"/> is an <see cref="AtomicOp"/> value.</summary>
    public ProgramBuilder Atomic(OpSize size, int operation, Register dst, short offset, Register src)
    {
        if (size is not (OpSize.W or OpSize.DW))
            throw new ProgramBuilderException("atomic operations are 32 or 64 bits wide");
        return Emit(new Instruction((byte)((byte)OpClass.Stx | (byte)OpMode.Atomic | (byte)size), (byte)dst, (byte)src, offset, operation));
    }

    // Control flow

    /// <summary><c>goto label</c>.</summary>
    public ProgramBuilder Jump(string label) => Branch(new Instruction(Opcodes.Ja, 0, 0, 0, 0), label, inImm: false);

    /// <summary><c>if dst op imm goto label</c> (64-bit compare).</summary>
    public ProgramBuilder JumpIf(JmpOp op, Register dst, int imm, string label) =>
        Branch(Encode(OpClass.Jmp, CheckCondition(op), OpSource.K, dst, 0, 0, imm), label, inImm: false);

    /// <summary><c>if dst op src goto label</c> (64-bit compare).</summary>
    public ProgramBuilder JumpIf(JmpOp op, Register dst, Register src, string label) =>
        Branch(Encode(OpClass.Jmp, CheckCondition(op), OpSource.X, dst, src, 0, 0), label, inImm: false);

    /// <summary><c>if wdst op imm goto label</c> (32-bit compare).</summary>
    public ProgramBuilder JumpIf32(JmpOp op, Register dst, int imm, string label) =>
        Branch(Encode(OpClass.Jmp32, CheckCondition(op), OpSource.K, dst, 0, 0, imm), label, inImm: false);

    /// <summary><c>if wdst op wsrc goto label</c> (32-bit compare).</summary>
    public ProgramBuilder JumpIf32(JmpOp op, Register dst, Register src, string label) =>
        Branch(Encode(OpClass.Jmp32, CheckCondition(op), OpSource.X, dst, src, 0, 0), label, inImm: false);

    /// <summary>Calls a helper by id.</summary>
    public ProgramBuilder Call(int helperId) => Emit(new Instruction(Opcodes.Call, 0, PseudoSource.Helper, 0, helperId));

    /// <summary>Calls a helper by name (<c>bpf_map_lookup_elem</c> or <c>map_lookup_elem</c>).</summary>
    public ProgramBuilder Call(string helperName)
    {
        int id = BpfHelperNames.IdOf(helperName);
        if (id <= 0)
            throw new ProgramBuilderException($"unknown helper '{helperName}'");
        return Call(id);
    }

    /// <summary>A bpf-to-bpf call to the function at <paramref name="label"/>.</summary>
    public ProgramBuilder CallLocal(string label) => Branch(new Instruction(Opcodes.Call, 0, PseudoSource.Call, 0, 0), label, inImm: true);

    /// <summary>Returns r0 to the caller.</summary>
    public ProgramBuilder Exit() => Emit(new Instruction(Opcodes.Exit, 0, 0, 0, 0));

    /// <summary>Resolves labels and returns the instructions; the builder can keep growing afterwards.</summary>
    public Instruction[] Build()
    {
        var result = _instructions.ToArray();
        foreach (var (slot, label, inImm) in _fixups)
        {
            if (!_labels.TryGetValue(label, out int target))
                throw new ProgramBuilderException($"jump to undefined label '{label}' at instruction {slot}");
            int delta = target - slot - 1;
            if (inImm)
                result[slot] = result[slot].WithImm(delta);
            else if (delta is < short.MinValue or > short.MaxValue)
                throw new ProgramBuilderException($"label '{label}' is {delta} instructions from instruction {slot}, beyond a 16-bit jump");
            else
                result[slot] = result[slot].WithOffset((short)delta);
        }
        return result;
    }

    private ProgramBuilder Alu(OpClass cls, AluOp op, Register dst, int imm) =>
        Emit(Encode(cls, CheckAlu(op), OpSource.K, dst, 0, 0, imm));

    private ProgramBuilder Alu(OpClass cls, AluOp op, Register dst, Register src) =>
        Emit(Encode(cls, CheckAlu(op), OpSource.X, dst, src, 0, 0));

    private ProgramBuilder LoadWide(Register dst, byte src, int low, int high)
    {
        _instructions.Add(new Instruction(Opcodes.LdDw, (byte)dst, src, 0, low));
        _instructions.Add(new Instruction(0, 0, 0, 0, high));
        return this;
    }

    private ProgramBuilder Branch(Instruction insn, string label, bool inImm)
    {
        _fixups.Add((_instructions.Count, label, inImm));
        return Emit(insn);
    }

    /// <summary>Builds the opcode from its parts and checks it against the table.</summary>
    private static Instruction Encode(OpClass cls, AluOp op, OpSource source, Register dst, Register src, short offset, int imm,
        [CallerMemberName] string caller = "") =>
        Encode((byte)((byte)cls | (byte)op | (byte)source), dst, src, offset, imm, caller);

    private static Instruction Encode(OpClass cls, JmpOp op, OpSource source, Register dst, Register src, short offset, int imm,
        [CallerMemberName] string caller = "") =>
        Encode((byte)((byte)cls | (byte)op | (byte)source), dst, src, offset, imm, caller);

    private static Instruction Encode(byte opcode, Register dst, Register src, short offset, int imm, string caller)
    {
        if (!OpcodeTable.Get(opcode).IsValid)
            throw new ProgramBuilderException($"{caller}: opcode 0x{opcode:x2} is not an instruction");
        if ((byte)dst > 10 || (byte)src > 10)
            throw new ProgramBuilderException($"{caller}: registers are r0-r10");
        return new Instruction(opcode, (byte)dst, (byte)src, offset, imm);
    }

    private static AluOp CheckAlu(AluOp op) => op is AluOp.Neg or AluOp.End
        ? throw new ProgramBuilderException($"use {(op == AluOp.Neg ? "Neg64/Neg32" : "Endian/ByteSwap")} for {op}")
        : op;

    private static JmpOp CheckCondition(JmpOp op) => op is JmpOp.Ja or JmpOp.Call or JmpOp.Exit
        ? throw new ProgramBuilderException($"{op} is not a conditional jump: use Jump, Call or Exit")
        : op;

    private static int CheckWidth(int bits) => bits is 16 or 32 or 64
        ? bits
        : throw new ProgramBuilderException($"byte swaps are 16, 32 or 64 bits, not {bits}");
}

/// <summary>A program the <see cref="ProgramBuilder"/> cannot build (undefined label, bad operand...).</summary>
public sealed class ProgramBuilderException(string message) : BpfException(message);
