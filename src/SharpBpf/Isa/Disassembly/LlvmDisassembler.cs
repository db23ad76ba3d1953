namespace SharpBpf.Isa.Disassembly;

/// <summary>Choices for <see cref="LlvmDisassembler"/>.</summary>
[Flags]
public enum LlvmDisassemblyOptions
{
    /// <summary>Byte-for-byte what llvm-objdump 14 prints.</summary>
    None = 0,
    /// <summary>Immediates and offsets in hex, as <c>llvm-objdump --print-imm-hex</c>.</summary>
    ImmHex = 1,
    /// <summary>
    /// Also spell what LLVM 14 cannot decode, the way newer LLVM does: MOD (<c>%=</c>), JSET (<c>if r1 &amp; r2</c>),
    /// store immediate, and ISA v4 (<c>s/=</c>, <c>s%=</c>, <c>r1 = (s8)r2</c>, <c>*(s8 *)</c>, <c>bswap16</c>,
    /// <c>gotol</c>), 32-bit atomics with <c>w</c> registers, and <c>callx</c> through dst.
    /// </summary>
    ModernIsa = 2,
    /// <summary>As <c>llvm-objdump --mattr=+alu32</c>: 8/16/32-bit loads, stores and atomics use <c>w</c> registers,
    /// and all 32-bit atomics decode (<c>w2 = atomic_fetch_or((u32 *)(r1 + 0), w2)</c>, <c>xchg32_32</c>, <c>cmpxchg32_32</c>).</summary>
    Alu32 = 4,
}

/// <summary>
/// The LLVM dialect of BPF assembly: the text llvm-objdump 14 prints for one instruction (after the raw bytes
/// and the tab), e.g. <c>r0 = *(u32 *)(r1 + 0)</c>, <c>if w1 s&gt; 5 goto +3</c>, <c>r1 = 0 ll</c>. Everything is read
/// from <see cref="OpcodeTable"/>. What LLVM 14 cannot decode prints as <c>&lt;unknown&gt;</c>, including its quirks:
/// fields an instruction does not use are ignored, registers r0-r11 are accepted, MOD/JSET/ST and v4 are unknown.
/// </summary>
/// <remarks>
/// What llvm-objdump 14 does with ISA v4 (checked by feeding it bytes): LDXS*, BSWAP (0xd7) and JA32/gotol (0x06) print
/// <c>&lt;unknown&gt;</c>; SDIV/SMOD and MOVSX print as plain <c>/=</c> and <c>=</c> because LLVM 14 ignores the offset field;
/// 32-bit atomics other than add print <c>&lt;unknown&gt;</c> (its decoder lacks alu32). The default mode reproduces all of
/// that; <see cref="LlvmDisassemblyOptions.ModernIsa"/> prints them as newer LLVM does instead.
/// One quirk is not reproduced: LLVM 14 decodes <c>ld_imm64</c> with dst 0, src 2, off 0, imm 0 as its internal
/// one-slot <c>lea</c> pseudo with a register left over from the previous instruction; we print <c>ld_pseudo</c>.
/// An ld_imm64 with a non-zero src prints as LLVM's <c>ld_pseudo	dst, src, imm</c>.
/// </remarks>
public static class LlvmDisassembler
{
    /// <summary>What llvm-objdump prints for bytes it cannot decode.</summary>
    public const string Unknown = "<unknown>";

    /// <summary>Longest text one instruction can produce (ld_imm64 in hex, atomics with big offsets).</summary>
    public const int MaxLength = 64;

    /// <summary>Formats one instruction; <paramref name="next"/> is the second slot of an ld_imm64.</summary>
    public static string Format(Instruction insn, Instruction next = default, bool immHex = false) =>
        Format(insn, next, immHex ? LlvmDisassemblyOptions.ImmHex : LlvmDisassemblyOptions.None);

    /// <summary>Formats one instruction with explicit options.</summary>
    public static string Format(Instruction insn, Instruction next, LlvmDisassemblyOptions options)
    {
        Span<char> buffer = stackalloc char[MaxLength];
        TryFormat(insn, next, buffer, out int written, options);
        return new string(buffer[..written]);
    }

    /// <summary>Formats one instruction into <paramref name="destination"/> without allocating.
    /// Returns false (and writes nothing useful) when the span is shorter than the text.</summary>
    public static bool TryFormat(Instruction insn, Instruction next, Span<char> destination, out int charsWritten,
        LlvmDisassemblyOptions options = LlvmDisassemblyOptions.None)
    {
        var sink = new TextSink(destination);
        if (!Write(ref sink, insn, next, options))
        {
            sink = new TextSink(destination);
            sink.Append(Unknown);
        }
        charsWritten = sink.Overflowed ? 0 : sink.Length;
        return !sink.Overflowed;
    }

    /// <summary>How many slots llvm-objdump advances over: 2 for an ld_imm64 it can decode, else 1
    /// (an undecodable ld_imm64 prints <c>&lt;unknown&gt;</c> and its second slot is decoded on its own).</summary>
    public static int SlotsUsed(Instruction insn, LlvmDisassemblyOptions options = LlvmDisassemblyOptions.None)
    {
        if (!insn.IsWide)
            return 1;
        Span<char> buffer = stackalloc char[MaxLength];
        var sink = new TextSink(buffer);
        return Write(ref sink, insn, default, options) ? 2 : 1;
    }

    /// <summary>The slot a jump lands on, for the branch-target annotation llvm-objdump appends (<c>goto +3 &lt;LBB0_2&gt;</c>):
    /// set for <c>goto</c> and conditional jumps it can decode, null otherwise (calls are not annotated).</summary>
    public static int? JumpTarget(Instruction insn, int index, LlvmDisassemblyOptions options = LlvmDisassemblyOptions.None)
    {
        var info = OpcodeTable.Get(insn.Opcode);
        if (info.Shape is not (InstructionShape.Ja or InstructionShape.CondJump))
            return null;
        Span<char> buffer = stackalloc char[MaxLength];
        var sink = new TextSink(buffer);
        if (!Write(ref sink, insn, default, options))
            return null;
        return index + 1 + (insn.Opcode == Opcodes.Ja32 ? insn.Imm : insn.Offset);
    }

    /// <summary>Formats a run of slots as llvm-objdump's body lines (<c>"      12:\t..."</c>, no raw bytes), one per
    /// instruction, each ending in a newline. <paramref name="annotate"/> may name a jump's target slot
    /// (e.g. <c>&lt;.text+0x48&gt;</c>), appended after a space as llvm-objdump does.</summary>
    public static void WriteListing(TextWriter writer, ReadOnlySpan<Instruction> slots,
        LlvmDisassemblyOptions options = LlvmDisassemblyOptions.None, Func<int, string?>? annotate = null)
    {
        Span<char> buffer = stackalloc char[MaxLength + 16];
        for (int i = 0; i < slots.Length;)
        {
            var insn = slots[i];
            int used = SlotsUsed(insn, options);
            if (used == 2 && i + 1 >= slots.Length)
                used = 1;
            i.TryFormat(buffer, out int n, default, System.Globalization.CultureInfo.InvariantCulture);
            for (int pad = n; pad < 8; pad++)
                writer.Write(' ');
            writer.Write(buffer[..n]);
            writer.Write(":\t");
            if (used == 1 && insn.IsWide)
                writer.Write(Unknown);
            else
            {
                TryFormat(insn, used == 2 ? slots[i + 1] : default, buffer, out int m, options);
                writer.Write(buffer[..m]);
                if (annotate is not null && JumpTarget(insn, i, options) is { } target && annotate(target) is { } note)
                {
                    writer.Write(' ');
                    writer.Write(note);
                }
            }
            writer.Write('\n');
            i += used;
        }
    }

    /// <summary>Formats into a StringBuilder.</summary>
    public static void Append(System.Text.StringBuilder builder, Instruction insn, Instruction next = default,
        LlvmDisassemblyOptions options = LlvmDisassemblyOptions.None)
    {
        Span<char> buffer = stackalloc char[MaxLength];
        TryFormat(insn, next, buffer, out int written, options);
        builder.Append(buffer[..written]);
    }

    private static bool Write(ref TextSink s, Instruction insn, Instruction next, LlvmDisassemblyOptions options)
    {
        var info = OpcodeTable.Get(insn.Opcode);
        bool modern = (options & LlvmDisassemblyOptions.ModernIsa) != 0;
        bool hex = (options & LlvmDisassemblyOptions.ImmHex) != 0;
        bool alu32 = (options & LlvmDisassemblyOptions.Alu32) != 0;
        // With alu32, sub-64-bit plain loads and stores move w registers.
        char memReg = alu32 && info.Width < 8 && (insn.Mode == OpMode.Mem) ? 'w' : 'r';
        if (!info.IsValid || (!info.KnownToLlvm14 && !modern))
            return false;
        char w = info.Is64 ? 'r' : 'w';
        switch (info.Shape)
        {
            case InstructionShape.Alu:
                return WriteAlu(ref s, insn, info, w, modern, hex);
            case InstructionShape.Neg:
                if (!Reg(insn.Dst))
                    return false;
                Register(ref s, w, insn.Dst);
                s.Append(" = -");
                Register(ref s, w, insn.Dst);
                return true;
            case InstructionShape.Endian:
                if (!Reg(insn.Dst) || insn.Imm is not (16 or 32 or 64))
                    return false;
                Register(ref s, 'r', insn.Dst);
                s.Append(info.Class == OpClass.Alu64 ? " = bswap" : insn.Source == OpSource.X ? " = be" : " = le");
                s.Append(insn.Imm);
                s.Append(' ');
                Register(ref s, 'r', insn.Dst);
                return true;
            case InstructionShape.CondJump:
                if (!Reg(insn.Dst) || (info.UsesRegisterSource && !Reg(insn.Src)))
                    return false;
                s.Append("if ");
                Register(ref s, w, insn.Dst);
                s.Append(' ');
                s.Append(info.Operator);
                s.Append(' ');
                if (info.UsesRegisterSource)
                    Register(ref s, w, insn.Src);
                else
                    s.AppendSigned(insn.Imm, hex);
                s.Append(" goto ");
                JumpOffset(ref s, insn.Offset, hex);
                return true;
            case InstructionShape.Ja:
                if (info.Class == OpClass.Jmp32)
                {
                    s.Append("gotol ");
                    JumpOffset(ref s, insn.Imm, hex);
                }
                else
                {
                    s.Append("goto ");
                    JumpOffset(ref s, insn.Offset, hex);
                }
                return true;
            case InstructionShape.Call:
                s.Append("call ");
                s.AppendSigned(insn.Imm, hex);
                return true;
            case InstructionShape.Callx:
            {
                // LLVM 14 encodes the target register in imm; the ISA (and newer LLVM) in dst.
                int reg = modern && insn.Imm == 0 ? insn.Dst : insn.Imm;
                if (reg is < 0 or > 11)
                    return false;
                s.Append("callx ");
                Register(ref s, 'r', reg);
                return true;
            }
            case InstructionShape.Exit:
                if (insn.Imm != 0)
                    return false;
                s.Append("exit");
                return true;
            case InstructionShape.LoadImm64:
                if (insn.Offset != 0 || !Reg(insn.Dst))
                    return false;
                if (insn.Src == 0)
                {
                    Register(ref s, 'r', insn.Dst);
                    s.Append(" = ");
                    s.AppendSigned(Instruction.Wide(insn, next), hex);
                    s.Append(" ll");
                }
                else
                {
                    s.Append("ld_pseudo\t");
                    Register(ref s, 'r', insn.Dst);
                    s.Append(", ");
                    s.AppendUnsigned(insn.Src, hex);
                    s.Append(", ");
                    s.AppendUnsigned((uint)insn.Imm, hex);
                }
                return true;
            case InstructionShape.LoadPacket:
                if (insn.Mode == OpMode.Ind && !Reg(insn.Src))
                    return false;
                s.Append("r0 = *(");
                s.Append(OpcodeTable.CTypeOfSize(info.Width));
                s.Append(" *)skb[");
                if (insn.Mode == OpMode.Ind)
                    Register(ref s, 'r', insn.Src);
                else
                    s.AppendSigned(insn.Imm, hex);
                s.Append(']');
                return true;
            case InstructionShape.Load:
                if (!Reg(insn.Dst) || !Reg(insn.Src))
                    return false;
                Register(ref s, memReg, insn.Dst);
                s.Append(" = *(");
                if (insn.Mode == OpMode.MemSx)
                {
                    s.Append('s');
                    s.Append(OpcodeTable.CTypeOfSize(info.Width).AsSpan(1));
                }
                else
                    s.Append(OpcodeTable.CTypeOfSize(info.Width));
                s.Append(" *)");
                Address(ref s, insn.Src, insn.Offset, hex);
                return true;
            case InstructionShape.StoreImm:
            case InstructionShape.StoreReg:
                if (!Reg(insn.Dst) || (info.Shape == InstructionShape.StoreReg && !Reg(insn.Src)))
                    return false;
                s.Append("*(");
                s.Append(OpcodeTable.CTypeOfSize(info.Width));
                s.Append(" *)");
                Address(ref s, insn.Dst, insn.Offset, hex);
                s.Append(" = ");
                if (info.Shape == InstructionShape.StoreReg)
                    Register(ref s, memReg, insn.Src);
                else
                    s.AppendSigned(insn.Imm, hex);
                return true;
            case InstructionShape.Atomic:
                return WriteAtomic(ref s, insn, info, modern || alu32, hex);
            default:
                return false;
        }
    }

    private static bool WriteAlu(ref TextSink s, Instruction insn, OpcodeInfo info, char w, bool modern, bool hex)
    {
        if (!Reg(insn.Dst) || (info.UsesRegisterSource && !Reg(insn.Src)))
            return false;
        Register(ref s, w, insn.Dst);
        s.Append(' ');
        var op = insn.AluOp;
        // LLVM 14 ignores the offset field; v4 uses it for signed division and sign-extending moves.
        if (modern && insn.Offset == 1 && op is AluOp.Div or AluOp.Mod)
            s.Append('s');
        s.Append(info.Operator);
        s.Append(' ');
        if (info.UsesRegisterSource)
        {
            if (modern && op == AluOp.Mov && insn.Offset is 8 or 16 or 32)
            {
                s.Append("(s");
                s.Append((long)insn.Offset);
                s.Append(')');
            }
            Register(ref s, w, insn.Src);
        }
        else
            s.AppendSigned(insn.Imm, hex);
        return true;
    }

    /// <param name="modern">Decode every 32-bit atomic with w registers (LLVM with alu32), not only LLVM 14's "lock add".</param>
    private static bool WriteAtomic(ref TextSink s, Instruction insn, OpcodeInfo info, bool modern, bool hex)
    {
        if (!Reg(insn.Dst) || !Reg(insn.Src))
            return false;
        int op = insn.Imm & 0xff;
        bool is64 = info.Width == 8;
        // LLVM 14 without alu32 knows only "lock add" for 32-bit atomics and matches on imm bits 4-7 alone.
        if (!is64 && !modern)
            op &= 0xf0;
        char w = is64 ? 'r' : 'w';
        string ctype = OpcodeTable.CTypeOfSize(info.Width);
        string? binary = (op & 0xf0) switch
        {
            AtomicOp.Add => "+=", AtomicOp.Or => "|=", AtomicOp.And => "&=", AtomicOp.Xor => "^=", _ => null,
        };
        if (!is64 && !modern && op != AtomicOp.Add)
            return false;
        if (op is AtomicOp.Xchg or AtomicOp.CmpXchg)
        {
            bool cmp = op == AtomicOp.CmpXchg;
            Register(ref s, w, cmp ? 0 : insn.Src);
            s.Append(cmp ? (is64 ? " = cmpxchg_64(" : " = cmpxchg32_32(") : (is64 ? " = xchg_64(" : " = xchg32_32("));
            AddressInner(ref s, insn.Dst, insn.Offset, hex);
            s.Append(", ");
            if (cmp)
            {
                Register(ref s, w, 0);
                s.Append(", ");
            }
            Register(ref s, w, insn.Src);
            s.Append(')');
            return true;
        }
        if (binary is null)
            return false;
        if ((op & AtomicOp.Fetch) != 0 && (op & 0x0f) == AtomicOp.Fetch)
        {
            Register(ref s, w, insn.Src);
            s.Append(" = atomic_fetch_");
            s.Append(OpcodeTable.Get((byte)((int)OpClass.Alu64 | (op & 0xf0))).Mnemonic);
            s.Append("((");
            s.Append(ctype);
            s.Append(" *)");
            Address(ref s, insn.Dst, insn.Offset, hex);
            s.Append(", ");
            Register(ref s, w, insn.Src);
            s.Append(')');
            return true;
        }
        s.Append("lock *(");
        s.Append(ctype);
        s.Append(" *)");
        Address(ref s, insn.Dst, insn.Offset, hex);
        s.Append(' ');
        s.Append(binary);
        s.Append(' ');
        Register(ref s, is64 || !modern ? 'r' : 'w', insn.Src);
        return true;
    }

    private static bool Reg(int r) => r <= 11;

    private static void Register(ref TextSink s, char prefix, int r)
    {
        s.Append(prefix);
        s.Append((long)r);
    }

    private static void Address(ref TextSink s, int reg, short offset, bool hex)
    {
        s.Append('(');
        AddressInner(ref s, reg, offset, hex);
        s.Append(')');
    }

    private static void AddressInner(ref TextSink s, int reg, short offset, bool hex)
    {
        Register(ref s, 'r', reg);
        s.Append(offset < 0 ? " - " : " + ");
        s.AppendSigned(Math.Abs((int)offset), hex);
    }

    private static void JumpOffset(ref TextSink s, int offset, bool hex)
    {
        if (offset >= 0)
            s.Append('+');
        s.AppendSigned(offset, hex);
    }
}
