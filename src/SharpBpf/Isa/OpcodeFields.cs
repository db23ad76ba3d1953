namespace SharpBpf.Isa;

/// <summary>The instruction class: the low three bits of the opcode.</summary>
public enum OpClass : byte
{
    Ld = 0x00,
    Ldx = 0x01,
    St = 0x02,
    Stx = 0x03,
    Alu = 0x04,
    Jmp = 0x05,
    Jmp32 = 0x06,
    Alu64 = 0x07,
}

/// <summary>Arithmetic operation: the high four bits of an ALU/ALU64 opcode.</summary>
public enum AluOp : byte
{
    Add = 0x00,
    Sub = 0x10,
    Mul = 0x20,
    Div = 0x30,
    Or = 0x40,
    And = 0x50,
    Lsh = 0x60,
    Rsh = 0x70,
    Neg = 0x80,
    Mod = 0x90,
    Xor = 0xa0,
    Mov = 0xb0,
    Arsh = 0xc0,
    End = 0xd0,
}

/// <summary>Jump operation: the high four bits of a JMP/JMP32 opcode.</summary>
public enum JmpOp : byte
{
    Ja = 0x00,
    Jeq = 0x10,
    Jgt = 0x20,
    Jge = 0x30,
    Jset = 0x40,
    Jne = 0x50,
    Jsgt = 0x60,
    Jsge = 0x70,
    Call = 0x80,
    Exit = 0x90,
    Jlt = 0xa0,
    Jle = 0xb0,
    Jslt = 0xc0,
    Jsle = 0xd0,
}

/// <summary>Operand source of ALU and JMP instructions (bit 3): the immediate or the source register.
/// For the END operation the same bit selects big-endian (<see cref="X"/>) or little-endian.</summary>
public enum OpSource : byte
{
    K = 0x00,
    X = 0x08,
}

/// <summary>Access size of load/store instructions (bits 3-4).</summary>
public enum OpSize : byte
{
    W = 0x00,
    H = 0x08,
    B = 0x10,
    DW = 0x18,
}

/// <summary>Addressing mode of load/store instructions (bits 5-7).</summary>
public enum OpMode : byte
{
    Imm = 0x00,
    Abs = 0x20,
    Ind = 0x40,
    Mem = 0x60,
    MemSx = 0x80,
    Atomic = 0xc0,
}

/// <summary>The operation of an atomic instruction, held in its immediate.</summary>
public static class AtomicOp
{
    public const int Add = 0x00;
    public const int Or = 0x40;
    public const int And = 0x50;
    public const int Xor = 0xa0;
    public const int Fetch = 0x01;
    public const int Xchg = 0xe0 | Fetch;
    public const int CmpXchg = 0xf0 | Fetch;
}

/// <summary>Values of the source register field of <c>ld_imm64</c> and <c>call</c> that change their meaning.</summary>
public static class PseudoSource
{
    /// <summary>ld_imm64: imm is a map file descriptor.</summary>
    public const byte MapFd = 1;
    /// <summary>ld_imm64: imm is a map fd, the next imm an offset into its value.</summary>
    public const byte MapValue = 2;
    /// <summary>ld_imm64: imm is a kernel BTF id.</summary>
    public const byte BtfId = 3;
    /// <summary>ld_imm64: imm is the instruction offset of a function.</summary>
    public const byte Func = 4;
    /// <summary>ld_imm64: imm is an index into the fd_array.</summary>
    public const byte MapIdx = 5;
    /// <summary>ld_imm64: imm is an fd_array index, the next imm an offset into the map value.</summary>
    public const byte MapIdxValue = 6;

    /// <summary>call: a helper (src 0).</summary>
    public const byte Helper = 0;
    /// <summary>call: a bpf-to-bpf call, imm is the relative instruction offset.</summary>
    public const byte Call = 1;
    /// <summary>call: a kernel function by BTF id.</summary>
    public const byte KfuncCall = 2;
}
