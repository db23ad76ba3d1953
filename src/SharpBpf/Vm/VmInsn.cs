using System.Runtime.InteropServices;

namespace SharpBpf.Vm;

/// <summary>
/// An instruction decoded once at load for the interpreter: registers split out, the immediate sign-extended
/// (or the whole 64-bit constant of <c>ld_imm64</c>, resolved), jump and call targets checked and made relative to the instruction.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VmInsn
{
    public byte Op;
    public byte Dst;
    public byte Src;
    public byte Flags;
    /// <summary>Memory offset for loads and stores; target minus own index for jumps and local calls.</summary>
    public int Aux;
    /// <summary>Sign-extended immediate; the constant of ld_imm64; the helper id of a call; the atomic operation.</summary>
    public long Imm;

    /// <summary>The opcode of the sentinel appended after the last instruction (0x00 is not a valid eBPF opcode).</summary>
    public const byte FellOffEnd = 0x00;

    /// <summary>The opcode a CO-RE-poisoned instruction (<c>call 0xbad2310</c>) decodes to: not a valid eBPF opcode, so reaching it faults.</summary>
    public const byte Poisoned = 0xff;
}

/// <summary>Atomic operations beyond <see cref="Isa.AtomicOp"/> (load-acquire / store-release, ISA v4 extension).</summary>
internal static class VmAtomic
{
    public const int LoadAcquire = 0x100;
    public const int StoreRelease = 0x110;
}

/// <summary>
/// The values the VM puts in registers for things that are not memory: map pointers (<c>ld_imm64 src=1</c>) and
/// function addresses (<c>ld_imm64 src=4</c>). They lie in the kernel half of the address space, which no region of
/// a user-space process ever covers, so a program that dereferences one faults.
/// </summary>
internal static class VmHandles
{
    public const ulong MapTag = 0xFFFF_A000_0000_0000UL;
    public const ulong FunctionTag = 0xFFFF_B000_0000_0000UL;
    private const ulong TagMask = 0xFFFF_F000_0000_0000UL;

    public static ulong Map(int id) => MapTag | (uint)id;
    public static bool IsMap(ulong value) => (value & TagMask) == MapTag && (value & 0xFFFF_FFFF) == (value & ~TagMask);
    public static int MapId(ulong value) => (int)(value & 0x7FFF_FFFF);

    public static ulong Function(int pc) => FunctionTag | (uint)pc;
    public static bool IsFunction(ulong value) => (value & TagMask) == FunctionTag && (value & ~TagMask) <= int.MaxValue;
    public static int FunctionPc(ulong value) => (int)(value & 0x7FFF_FFFF);
}
