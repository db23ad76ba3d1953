using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SharpBpf.Cbpf;

/// <summary>
/// Runs classic BPF with the kernel's semantics: a load past the end of the packet or a division by zero
/// returns 0 (drop), scratch memory starts zeroed, and absolute loads at SKF_AD_OFF read ancillary data,
/// at SKF_LL_OFF/SKF_NET_OFF the link/network headers. Programs are checked first by <see cref="CbpfValidator"/>.
/// </summary>
public static class CbpfInterpreter
{
    public const int LinkLayerOffset = -0x200000;
    public const int NetworkLayerOffset = -0x100000;

    /// <summary>Returns the filter's verdict: 0 drops, otherwise the number of bytes to keep.</summary>
    public static uint Run(ReadOnlySpan<CbpfInstruction> program, CbpfPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        return Run(program, packet.Data.Span, packet.WireLength, packet);
    }

    /// <summary>The fast path for capture filtering: packet bytes and wire length only (ancillary loads read 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static uint Run(ReadOnlySpan<CbpfInstruction> program, ReadOnlySpan<byte> data, uint wireLength, CbpfPacket? meta = null)
    {
        uint a = 0, x = 0;
        Span<uint> mem = stackalloc uint[Cbpf.MemWords];
        mem.Clear();
        for (var pc = 0; pc < program.Length; pc++)
        {
            var insn = program[pc];
            var k = insn.K;
            switch (insn.Code)
            {
                case Cbpf.Ret | Cbpf.K: return k;
                case Cbpf.Ret | Cbpf.A: return a;
                // Loads inside the packet are read here; the rest (past the end, negative offsets) go through Load.
                case Cbpf.Ld | Cbpf.W | Cbpf.Abs:
                    if ((ulong)k + 4 <= (ulong)data.Length)
                        a = ReadBigEndian32(data, k);
                    else if (!Load(data, insn.Code, (int)k, meta, a, x, out a))
                        return 0;
                    break;
                case Cbpf.Ld | Cbpf.H | Cbpf.Abs:
                    if ((ulong)k + 2 <= (ulong)data.Length)
                        a = ReadBigEndian16(data, k);
                    else if (!Load(data, insn.Code, (int)k, meta, a, x, out a))
                        return 0;
                    break;
                case Cbpf.Ld | Cbpf.B | Cbpf.Abs:
                    if (k < (uint)data.Length)
                        a = data[(int)k];
                    else if (!Load(data, insn.Code, (int)k, meta, a, x, out a))
                        return 0;
                    break;
                case Cbpf.Ld | Cbpf.W | Cbpf.Ind:
                    if ((ulong)(x + k) + 4 <= (ulong)data.Length)
                        a = ReadBigEndian32(data, x + k);
                    else if (!Load(data, insn.Code, (int)(x + k), null, a, x, out a))
                        return 0;
                    break;
                case Cbpf.Ld | Cbpf.H | Cbpf.Ind:
                    if ((ulong)(x + k) + 2 <= (ulong)data.Length)
                        a = ReadBigEndian16(data, x + k);
                    else if (!Load(data, insn.Code, (int)(x + k), null, a, x, out a))
                        return 0;
                    break;
                case Cbpf.Ld | Cbpf.B | Cbpf.Ind:
                    if (x + k < (uint)data.Length)
                        a = data[(int)(x + k)];
                    else if (!Load(data, insn.Code, (int)(x + k), null, a, x, out a))
                        return 0;
                    break;
                case Cbpf.Ld | Cbpf.W | Cbpf.Len: a = wireLength; break;
                case Cbpf.Ldx | Cbpf.W | Cbpf.Len: x = wireLength; break;
                case Cbpf.Ld | Cbpf.Imm: a = k; break;
                case Cbpf.Ldx | Cbpf.Imm: x = k; break;
                case Cbpf.Ld | Cbpf.Mem: a = mem[(int)k]; break;
                case Cbpf.Ldx | Cbpf.Mem: x = mem[(int)k]; break;
                case Cbpf.Ldx | Cbpf.Msh | Cbpf.B:
                    if (k >= (uint)data.Length)
                        return 0;
                    x = (uint)(data[(int)k] & 0xf) << 2;
                    break;
                case Cbpf.St: mem[(int)k] = a; break;
                case Cbpf.Stx: mem[(int)k] = x; break;
                case Cbpf.Jmp | Cbpf.Ja: pc += (int)k; break;
                case Cbpf.Jmp | Cbpf.Jgt | Cbpf.K: pc += a > k ? insn.Jt : insn.Jf; break;
                case Cbpf.Jmp | Cbpf.Jge | Cbpf.K: pc += a >= k ? insn.Jt : insn.Jf; break;
                case Cbpf.Jmp | Cbpf.Jeq | Cbpf.K: pc += a == k ? insn.Jt : insn.Jf; break;
                case Cbpf.Jmp | Cbpf.Jset | Cbpf.K: pc += (a & k) != 0 ? insn.Jt : insn.Jf; break;
                case Cbpf.Jmp | Cbpf.Jgt | Cbpf.X: pc += a > x ? insn.Jt : insn.Jf; break;
                case Cbpf.Jmp | Cbpf.Jge | Cbpf.X: pc += a >= x ? insn.Jt : insn.Jf; break;
                case Cbpf.Jmp | Cbpf.Jeq | Cbpf.X: pc += a == x ? insn.Jt : insn.Jf; break;
                case Cbpf.Jmp | Cbpf.Jset | Cbpf.X: pc += (a & x) != 0 ? insn.Jt : insn.Jf; break;
                case Cbpf.Alu | Cbpf.Neg: a = (uint)-(int)a; break;
                case Cbpf.Misc | Cbpf.Tax: x = a; break;
                case Cbpf.Misc | Cbpf.Txa: a = x; break;
                default:
                    if (Cbpf.Class(insn.Code) != Cbpf.Alu)
                        throw new CbpfException($"unknown classic BPF opcode 0x{insn.Code:x} at instruction {pc}");
                    var operand = Cbpf.Src(insn.Code) == Cbpf.X ? x : k;
                    if (operand == 0 && Cbpf.Op(insn.Code) is Cbpf.Div or Cbpf.Mod)
                        return 0;
                    a = Alu(Cbpf.Op(insn.Code), a, operand);
                    break;
            }
        }
        return 0;
    }

    // Callers have checked that the bytes lie inside data.
    private static uint ReadBigEndian32(ReadOnlySpan<byte> data, uint offset) =>
        BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref MemoryMarshal.GetReference(data), (nint)offset)));

    private static ushort ReadBigEndian16(ReadOnlySpan<byte> data, uint offset) =>
        BinaryPrimitives.ReverseEndianness(Unsafe.ReadUnaligned<ushort>(ref Unsafe.Add(ref MemoryMarshal.GetReference(data), (nint)offset)));

    internal static uint Alu(int op, uint a, uint b) => op switch
    {
        Cbpf.Add => a + b,
        Cbpf.Sub => a - b,
        Cbpf.Mul => a * b,
        Cbpf.Div => a / b,
        Cbpf.Mod => a % b,
        Cbpf.And => a & b,
        Cbpf.Or => a | b,
        Cbpf.Xor => a ^ b,
        Cbpf.Lsh => a << (int)(b & 31),
        Cbpf.Rsh => a >> (int)(b & 31),
        _ => throw new CbpfException($"unknown classic BPF ALU operation 0x{op:x}"),
    };

    private static bool Load(ReadOnlySpan<byte> data, int code, int offset, CbpfPacket? meta, uint a, uint x, out uint value)
    {
        value = 0;
        if (offset < 0)
        {
            if (meta is not null && (uint)offset >= Cbpf.AncillaryBase)
                return Ancillary((uint)offset - Cbpf.AncillaryBase, meta, a, x, out value);
            if (offset >= LinkLayerOffset && offset < NetworkLayerOffset)
                offset -= LinkLayerOffset;
            else if (offset >= NetworkLayerOffset && meta is not null)
                offset = offset - NetworkLayerOffset + meta.NetworkOffset;
            else if (offset >= NetworkLayerOffset && offset < unchecked((int)Cbpf.AncillaryBase))
                offset -= NetworkLayerOffset;
            else
                return false;
        }
        var size = Cbpf.Size(code) switch { Cbpf.W => 4, Cbpf.H => 2, _ => 1 };
        if ((long)offset + size > data.Length)
            return false;
        value = size switch
        {
            4 => BinaryPrimitives.ReadUInt32BigEndian(data[offset..]),
            2 => BinaryPrimitives.ReadUInt16BigEndian(data[offset..]),
            _ => data[offset],
        };
        return true;
    }

    private static bool Ancillary(uint which, CbpfPacket meta, uint a, uint x, out uint value)
    {
        uint? read = which switch
        {
            Cbpf.AdProtocol => BinaryPrimitives.ReverseEndianness(meta.Protocol),
            Cbpf.AdPktType => meta.PacketType,
            Cbpf.AdIfIndex => meta.IfIndex,
            Cbpf.AdMark => meta.Mark,
            Cbpf.AdQueue => meta.Queue,
            Cbpf.AdHaType => meta.HardwareType,
            Cbpf.AdRxHash => meta.RxHash,
            Cbpf.AdCpu => meta.Cpu,
            Cbpf.AdVlanTag => meta.VlanTci,
            Cbpf.AdVlanTagPresent => meta.VlanPresent ? 1u : 0u,
            Cbpf.AdVlanTpid => meta.VlanProtocol,
            Cbpf.AdRandom => meta.Random?.Invoke() ?? (uint)System.Random.Shared.NextInt64(0, 1L << 32),
            Cbpf.AdAluXorX => a ^ x,
            Cbpf.AdPayOffset => 0,
            _ => null,
        };
        value = read ?? 0;
        return read.HasValue;
    }
}

/// <summary>A classic BPF program the kernel would refuse (bad jump, bad opcode, no final return...).</summary>
public sealed class CbpfException : BpfException
{
    public CbpfException(string message) : base(message) { }
}
