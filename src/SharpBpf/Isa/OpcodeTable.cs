using System.Collections.Frozen;

namespace SharpBpf.Isa;

/// <summary>What an instruction's operands look like; every consumer of the ISA dispatches on this.</summary>
public enum InstructionShape : byte
{
    Invalid,
    /// <summary>dst op= src or imm (ALU, ALU64). Div/Mod with offset 1 are signed; Mov with offset 8/16/32 sign-extends.</summary>
    Alu,
    /// <summary>dst = -dst.</summary>
    Neg,
    /// <summary>Byte swap: le/be (ALU) or bswap (ALU64), width in imm (16, 32, 64).</summary>
    Endian,
    /// <summary>if dst op src/imm goto +offset.</summary>
    CondJump,
    /// <summary>goto +offset (JMP) or +imm (JMP32, gotol).</summary>
    Ja,
    /// <summary>Helper, bpf-to-bpf or kfunc call, told apart by src.</summary>
    Call,
    /// <summary>Indirect call through a register.</summary>
    Callx,
    Exit,
    /// <summary>ld_imm64: two slots, src picks a pseudo source.</summary>
    LoadImm64,
    /// <summary>Legacy packet loads: ld_abs (imm) and ld_ind (src + imm) into r0.</summary>
    LoadPacket,
    /// <summary>dst = *(size *)(src + offset), zero- or sign-extending.</summary>
    Load,
    /// <summary>*(size *)(dst + offset) = imm.</summary>
    StoreImm,
    /// <summary>*(size *)(dst + offset) = src.</summary>
    StoreReg,
    /// <summary>Atomic read-modify-write at dst + offset with src; the operation is in imm.</summary>
    Atomic,
}

/// <summary>
/// What one opcode byte means. <see cref="Mnemonic"/> is the conformance-suite assembler's spelling
/// (add32, ldxdw, jne32, lddw, ...); <see cref="Operator"/> the C-like operator both disassembly
/// dialects print (+=, s>>=, s&lt;=, ...). <see cref="Width"/> is the access size in bytes for memory
/// instructions and the operand width in bits (32 or 64) for ALU and jumps.
/// </summary>
public sealed record OpcodeInfo(byte Opcode, OpClass Class, InstructionShape Shape, string Mnemonic, string Operator, int Width)
{
    public bool IsValid => Shape != InstructionShape.Invalid;

    /// <summary>False for valid opcodes that LLVM 14's BPF back end cannot decode (llvm-objdump 14 prints
    /// <c>&lt;unknown&gt;</c>): MOD, JSET, ST (store immediate) and the ISA v4 additions (LDXS, BSWAP, JA32).</summary>
    public bool KnownToLlvm14 { get; init; } = true;
    public bool UsesRegisterSource => (Opcode & 0x08) != 0;
    public bool Is64 => Width == 64;
}

/// <summary>The one table of the instruction set. Decoder, disassemblers, assembler, interpreter and JIT all read it.</summary>
public static class OpcodeTable
{
    private static readonly (AluOp Op, string Name, string Operator)[] AluOps =
    [
        (AluOp.Add, "add", "+="), (AluOp.Sub, "sub", "-="), (AluOp.Mul, "mul", "*="), (AluOp.Div, "div", "/="),
        (AluOp.Or, "or", "|="), (AluOp.And, "and", "&="), (AluOp.Lsh, "lsh", "<<="), (AluOp.Rsh, "rsh", ">>="),
        (AluOp.Neg, "neg", "-"), (AluOp.Mod, "mod", "%="), (AluOp.Xor, "xor", "^="), (AluOp.Mov, "mov", "="),
        (AluOp.Arsh, "arsh", "s>>="),
    ];

    private static readonly (JmpOp Op, string Name, string Operator)[] CondJumps =
    [
        (JmpOp.Jeq, "jeq", "=="), (JmpOp.Jgt, "jgt", ">"), (JmpOp.Jge, "jge", ">="), (JmpOp.Jset, "jset", "&"),
        (JmpOp.Jne, "jne", "!="), (JmpOp.Jsgt, "jsgt", "s>"), (JmpOp.Jsge, "jsge", "s>="), (JmpOp.Jlt, "jlt", "<"),
        (JmpOp.Jle, "jle", "<="), (JmpOp.Jslt, "jslt", "s<"), (JmpOp.Jsle, "jsle", "s<="),
    ];

    private static readonly (OpSize Size, string Suffix, int Bytes, string CType)[] Sizes =
    [
        (OpSize.W, "w", 4, "u32"), (OpSize.H, "h", 2, "u16"), (OpSize.B, "b", 1, "u8"), (OpSize.DW, "dw", 8, "u64"),
    ];

    private static readonly OpcodeInfo[] Table = Build();

    /// <summary>Every valid opcode, by conformance mnemonic (for the assembler).</summary>
    public static readonly FrozenDictionary<string, OpcodeInfo> ByMnemonic =
        Table.Where(i => i.IsValid && i.Shape != InstructionShape.Endian)
             .GroupBy(i => i.Mnemonic)
             .ToFrozenDictionary(g => g.Key, g => g.First());

    public static OpcodeInfo Get(byte opcode) => Table[opcode];

    public static IReadOnlyList<OpcodeInfo> All => Table;

    /// <summary>The C type name of a memory access of this many bytes (u8, u16, u32, u64).</summary>
    public static string CTypeOfSize(int bytes)
    {
        foreach (var s in Sizes)
            if (s.Bytes == bytes)
                return s.CType;
        throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "a memory access is 1, 2, 4 or 8 bytes");
    }

    public static int BytesOf(OpSize size)
    {
        foreach (var s in Sizes)
            if (s.Size == size)
                return s.Bytes;
        throw new ArgumentOutOfRangeException(nameof(size), size, "not an access size");
    }

    private static OpcodeInfo[] Build()
    {
        var table = new OpcodeInfo[256];
        for (int i = 0; i < 256; i++)
            table[i] = new OpcodeInfo((byte)i, (OpClass)(i & 7), InstructionShape.Invalid, "", "", 0);

        void Add(int opcode, InstructionShape shape, string mnemonic, string op, int width) =>
            table[opcode] = new OpcodeInfo((byte)opcode, (OpClass)(opcode & 7), shape, mnemonic, op, width);

        foreach (var (cls, suffix, width) in new[] { (OpClass.Alu, "32", 32), (OpClass.Alu64, "", 64) })
        {
            foreach (var (op, name, sym) in AluOps)
            {
                if (op == AluOp.Neg)
                {
                    Add((int)cls | (int)op, InstructionShape.Neg, name + suffix, sym, width);
                    continue;
                }
                Add((int)cls | (int)op | (int)OpSource.K, InstructionShape.Alu, name + suffix, sym, width);
                Add((int)cls | (int)op | (int)OpSource.X, InstructionShape.Alu, name + suffix, sym, width);
            }
        }
        Add((int)OpClass.Alu | (int)AluOp.End | (int)OpSource.K, InstructionShape.Endian, "le", "", 32);
        Add((int)OpClass.Alu | (int)AluOp.End | (int)OpSource.X, InstructionShape.Endian, "be", "", 32);
        Add((int)OpClass.Alu64 | (int)AluOp.End | (int)OpSource.K, InstructionShape.Endian, "bswap", "", 64);

        foreach (var (cls, suffix, width) in new[] { (OpClass.Jmp, "", 64), (OpClass.Jmp32, "32", 32) })
        {
            foreach (var (op, name, sym) in CondJumps)
            {
                Add((int)cls | (int)op | (int)OpSource.K, InstructionShape.CondJump, name + suffix, sym, width);
                Add((int)cls | (int)op | (int)OpSource.X, InstructionShape.CondJump, name + suffix, sym, width);
            }
        }
        Add((int)OpClass.Jmp | (int)JmpOp.Ja, InstructionShape.Ja, "ja", "goto", 64);
        Add((int)OpClass.Jmp32 | (int)JmpOp.Ja, InstructionShape.Ja, "ja32", "gotol", 32);
        Add((int)OpClass.Jmp | (int)JmpOp.Call | (int)OpSource.K, InstructionShape.Call, "call", "call", 64);
        Add((int)OpClass.Jmp | (int)JmpOp.Call | (int)OpSource.X, InstructionShape.Callx, "callx", "callx", 64);
        Add((int)OpClass.Jmp | (int)JmpOp.Exit, InstructionShape.Exit, "exit", "exit", 64);

        Add((int)OpClass.Ld | (int)OpMode.Imm | (int)OpSize.DW, InstructionShape.LoadImm64, "lddw", "=", 8);
        foreach (var (size, sfx, bytes, _) in Sizes)
        {
            if (size != OpSize.DW)
            {
                Add((int)OpClass.Ld | (int)OpMode.Abs | (int)size, InstructionShape.LoadPacket, "ldabs" + sfx, "=", bytes);
                Add((int)OpClass.Ld | (int)OpMode.Ind | (int)size, InstructionShape.LoadPacket, "ldind" + sfx, "=", bytes);
                Add((int)OpClass.Ldx | (int)OpMode.MemSx | (int)size, InstructionShape.Load, "ldxs" + sfx, "=", bytes);
            }
            Add((int)OpClass.Ldx | (int)OpMode.Mem | (int)size, InstructionShape.Load, "ldx" + sfx, "=", bytes);
            Add((int)OpClass.St | (int)OpMode.Mem | (int)size, InstructionShape.StoreImm, "st" + sfx, "=", bytes);
            Add((int)OpClass.Stx | (int)OpMode.Mem | (int)size, InstructionShape.StoreReg, "stx" + sfx, "=", bytes);
            if (size is OpSize.W or OpSize.DW)
                Add((int)OpClass.Stx | (int)OpMode.Atomic | (int)size, InstructionShape.Atomic, "atomic" + sfx, "", bytes);
        }
        foreach (var i in new[] { 0x94, 0x97, 0x9c, 0x9f, 0x45, 0x4d, 0x46, 0x4e, 0xd7, Opcodes.Ja32 })
            table[i] = table[i] with { KnownToLlvm14 = false };
        for (int i = 0; i < 256; i++)
            if (table[i].Shape == InstructionShape.StoreImm || (OpMode)(i & 0xe0) == OpMode.MemSx && table[i].Class == OpClass.Ldx)
                table[i] = table[i] with { KnownToLlvm14 = false };
        return table;
    }
}

/// <summary>Opcode bytes that code refers to by name.</summary>
public static class Opcodes
{
    public const byte LdDw = (byte)OpClass.Ld | (byte)OpMode.Imm | (byte)OpSize.DW;
    public const byte Call = (byte)OpClass.Jmp | (byte)JmpOp.Call;
    public const byte Callx = (byte)OpClass.Jmp | (byte)JmpOp.Call | (byte)OpSource.X;
    public const byte Exit = (byte)OpClass.Jmp | (byte)JmpOp.Exit;
    public const byte Ja = (byte)OpClass.Jmp | (byte)JmpOp.Ja;
    public const byte Ja32 = (byte)OpClass.Jmp32 | (byte)JmpOp.Ja;
}
