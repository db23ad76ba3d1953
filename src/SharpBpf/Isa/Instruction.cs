using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SharpBpf.Isa;

/// <summary>
/// One 8-byte eBPF instruction slot. The field layout equals the little-endian wire format
/// (opcode, dst|src&lt;&lt;4, offset, imm), so little-endian bytes can be viewed as instructions without copying.
/// <c>ld_imm64</c> occupies two slots: the second holds the upper 32 bits in its <see cref="Imm"/>.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 8)]
public readonly struct Instruction : IEquatable<Instruction>
{
    public const int Size = 8;

    public readonly byte Opcode;
    private readonly byte _registers;
    public readonly short Offset;
    public readonly int Imm;

    public Instruction(byte opcode, byte dst, byte src, short offset, int imm)
    {
        Opcode = opcode;
        _registers = (byte)((dst & 0x0f) | (src << 4));
        Offset = offset;
        Imm = imm;
    }

    public byte Dst => (byte)(_registers & 0x0f);
    public byte Src => (byte)(_registers >> 4);
    public OpClass Class => (OpClass)(Opcode & 0x07);
    public OpcodeInfo Info => OpcodeTable.Get(Opcode);

    /// <summary>The ALU operation; meaningful for ALU and ALU64 classes.</summary>
    public AluOp AluOp => (AluOp)(Opcode & 0xf0);
    /// <summary>The jump operation; meaningful for JMP and JMP32 classes.</summary>
    public JmpOp JmpOp => (JmpOp)(Opcode & 0xf0);
    public OpSource Source => (OpSource)(Opcode & 0x08);
    public OpSize AccessSize => (OpSize)(Opcode & 0x18);
    public OpMode Mode => (OpMode)(Opcode & 0xe0);

    /// <summary>True for the first slot of a 16-byte <c>ld_imm64</c>.</summary>
    public bool IsWide => Opcode == Opcodes.LdDw;

    /// <summary>Returns this instruction with another immediate (used when relocating).</summary>
    public Instruction WithImm(int imm) => new(Opcode, Dst, Src, Offset, imm);
    public Instruction WithSrc(byte src) => new(Opcode, Dst, src, Offset, Imm);
    public Instruction WithOffset(short offset) => new(Opcode, Dst, Src, offset, Imm);

    /// <summary>Reads one slot. Big-endian objects swap offset and imm and put dst in the high nibble.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Instruction Read(ReadOnlySpan<byte> slot, bool bigEndian = false)
    {
        if (slot.Length < Size)
            throw new ArgumentException("an instruction needs 8 bytes", nameof(slot));
        byte regs = slot[1];
        if (bigEndian)
            return new Instruction(slot[0], (byte)(regs >> 4), (byte)(regs & 0x0f),
                BinaryPrimitives.ReadInt16BigEndian(slot[2..]), BinaryPrimitives.ReadInt32BigEndian(slot[4..]));
        return new Instruction(slot[0], (byte)(regs & 0x0f), (byte)(regs >> 4),
            BinaryPrimitives.ReadInt16LittleEndian(slot[2..]), BinaryPrimitives.ReadInt32LittleEndian(slot[4..]));
    }

    public void Write(Span<byte> slot, bool bigEndian = false)
    {
        if (slot.Length < Size)
            throw new ArgumentException("an instruction needs 8 bytes", nameof(slot));
        slot[0] = Opcode;
        if (bigEndian)
        {
            slot[1] = (byte)((Dst << 4) | Src);
            BinaryPrimitives.WriteInt16BigEndian(slot[2..], Offset);
            BinaryPrimitives.WriteInt32BigEndian(slot[4..], Imm);
        }
        else
        {
            slot[1] = _registers;
            BinaryPrimitives.WriteInt16LittleEndian(slot[2..], Offset);
            BinaryPrimitives.WriteInt32LittleEndian(slot[4..], Imm);
        }
    }

    /// <summary>Decodes a run of slots; the length must be a multiple of 8.</summary>
    public static Instruction[] ReadAll(ReadOnlySpan<byte> bytes, bool bigEndian = false)
    {
        if (bytes.Length % Size != 0)
            throw new ArgumentException($"instruction bytes must be a multiple of 8, got {bytes.Length}", nameof(bytes));
        var result = new Instruction[bytes.Length / Size];
        if (!bigEndian && BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, Instruction>(bytes).CopyTo(result);
            return result;
        }
        for (int i = 0; i < result.Length; i++)
            result[i] = Read(bytes.Slice(i * Size, Size), bigEndian);
        return result;
    }

    public static byte[] WriteAll(ReadOnlySpan<Instruction> instructions, bool bigEndian = false)
    {
        var bytes = new byte[instructions.Length * Size];
        for (int i = 0; i < instructions.Length; i++)
            instructions[i].Write(bytes.AsSpan(i * Size, Size), bigEndian);
        return bytes;
    }

    /// <summary>The 64-bit constant of an <c>ld_imm64</c> pair.</summary>
    public static long Wide(Instruction low, Instruction high) => (uint)low.Imm | ((long)high.Imm << 32);

    public bool Equals(Instruction other) =>
        Opcode == other.Opcode && _registers == other._registers && Offset == other.Offset && Imm == other.Imm;
    public override bool Equals(object? obj) => obj is Instruction other && Equals(other);
    public override int GetHashCode() => HashCode.Combine(Opcode, _registers, Offset, Imm);
    public static bool operator ==(Instruction a, Instruction b) => a.Equals(b);
    public static bool operator !=(Instruction a, Instruction b) => !a.Equals(b);

    public override string ToString() => $"{{op=0x{Opcode:x2} dst=r{Dst} src=r{Src} off={Offset} imm={Imm}}}";
}
