using System.Globalization;

namespace SharpBpf.Isa.Disassembly;

/// <summary>
/// The kernel dialect of BPF assembly, as the verifier log and <c>bpftool prog dump xlated</c> print it (the kernel's
/// <c>kernel/bpf/disasm.c</c>, 6.18): <c>(79) r1 = *(u64 *)(r1 +104)</c>, <c>(15) if r0 == 0x0 goto pc+2</c>,
/// <c>(85) call bpf_map_lookup_elem#1</c>, <c>(18) r1 = map[id:5]</c>. The text starts with the opcode in
/// parentheses; the listing's <c>"   0: "</c> prefix is not part of it. Spellings come from <see cref="OpcodeTable"/>.
/// bpftool 7.1 carries an older copy that prints ISA v4 instructions (sdiv, movsx, ldsx, bswap, gotol) as their v3
/// look-alikes or <c>BUG_</c> lines; this class prints them the way the running kernel does.
/// </summary>
public static class KernelDisassembler
{
    /// <summary>Room for any line: the longest fixed text plus two names from <see cref="IKernelSymbols"/>.</summary>
    private const int StackBuffer = 256;

    /// <summary>Formats one instruction; <paramref name="next"/> is the second slot of an ld_imm64.</summary>
    public static string Format(Instruction insn, Instruction next = default, IKernelSymbols? symbols = null)
    {
        Span<char> buffer = stackalloc char[StackBuffer];
        if (TryFormat(insn, next, buffer, out int written, symbols))
            return new string(buffer[..written]);
        var big = new char[4096];
        TryFormat(insn, next, big, out written, symbols);
        return new string(big, 0, written);
    }

    /// <summary>Formats into <paramref name="destination"/>; false when it is too short.</summary>
    public static bool TryFormat(Instruction insn, Instruction next, Span<char> destination, out int charsWritten,
        IKernelSymbols? symbols = null)
    {
        var s = new TextSink(destination);
        if (BugOf(insn) is { } bug)
        {
            // The kernel prints these without the "(xx) " prefix.
            s.Append(bug);
            Hex2(ref s, insn.Opcode);
        }
        else
        {
            s.Append('(');
            Hex2(ref s, insn.Opcode);
            s.Append(") ");
            Write(ref s, insn, next, symbols);
        }
        charsWritten = s.Overflowed ? 0 : s.Length;
        return !s.Overflowed;
    }

    /// <summary>The kernel's "BUG_" prefix for encodings its printer does not know, else null.</summary>
    private static string? BugOf(Instruction insn) => insn.Class switch
    {
        OpClass.Stx when insn.Mode == OpMode.Atomic => insn.Imm is AtomicOp.Add or AtomicOp.And or AtomicOp.Or or AtomicOp.Xor
            or (AtomicOp.Add | AtomicOp.Fetch) or (AtomicOp.And | AtomicOp.Fetch) or (AtomicOp.Or | AtomicOp.Fetch)
            or (AtomicOp.Xor | AtomicOp.Fetch) or AtomicOp.Xchg or AtomicOp.CmpXchg or LoadAcquire or StoreRelease ? null : "BUG_",
        OpClass.Stx => insn.Mode == OpMode.Mem ? null : "BUG_",
        OpClass.St => insn.Mode == OpMode.Mem || (int)insn.Mode == 0xc0 ? null : "BUG_st_",
        OpClass.Ldx => insn.Mode is OpMode.Mem or OpMode.MemSx ? null : "BUG_ldx_",
        OpClass.Ld => insn.Mode is OpMode.Abs or OpMode.Ind || (insn.Mode == OpMode.Imm && insn.AccessSize == OpSize.DW)
            ? null : "BUG_ld_",
        _ => null,
    };

    private static void Write(ref TextSink s, Instruction insn, Instruction next, IKernelSymbols? symbols)
    {
        var info = OpcodeTable.Get(insn.Opcode);
        var cls = insn.Class;
        switch (cls)
        {
            case OpClass.Alu or OpClass.Alu64:
                WriteAlu(ref s, insn, info, cls == OpClass.Alu ? 'w' : 'r');
                return;
            case OpClass.Stx:
                WriteStx(ref s, insn);
                return;
            case OpClass.St:
                if (insn.Mode == OpMode.Mem)
                {
                    Memory(ref s, insn.AccessSize, signed: false, insn.Dst, insn.Offset);
                    s.Append(" = ");
                    s.Append(insn.Imm);
                }
                else
                    s.Append("nospec");
                return;
            case OpClass.Ldx:
                Reg(ref s, 'r', insn.Dst);
                s.Append(" = ");
                Memory(ref s, insn.AccessSize, insn.Mode == OpMode.MemSx, insn.Src, insn.Offset);
                return;
            case OpClass.Ld:
                WriteLd(ref s, insn, next, symbols);
                return;
            default:
                WriteJmp(ref s, insn, info, cls == OpClass.Jmp32 ? 'w' : 'r', symbols);
                return;
        }
    }

    private static void WriteAlu(ref TextSink s, Instruction insn, OpcodeInfo info, char w)
    {
        var op = insn.AluOp;
        if (op == AluOp.End)
        {
            Reg(ref s, 'r', insn.Dst);
            s.Append(insn.Class == OpClass.Alu64 ? " = bswap" : insn.Source == OpSource.X ? " = be" : " = le");
            s.Append(insn.Imm);
            s.Append(' ');
            Reg(ref s, 'r', insn.Dst);
            return;
        }
        if (op == AluOp.Neg)
        {
            Reg(ref s, w, insn.Dst);
            s.Append(" = -");
            Reg(ref s, w, insn.Dst);
            return;
        }
        if (insn.Opcode == ((byte)OpClass.Alu64 | (byte)AluOp.Mov | (byte)OpSource.X) && insn.Offset == 1)
        {
            // BPF_ADDR_SPACE_CAST (arena pointers).
            Reg(ref s, 'r', insn.Dst);
            s.Append(" = addr_space_cast(");
            Reg(ref s, 'r', insn.Src);
            s.Append(", ");
            s.Append((long)((uint)insn.Imm >> 16));
            s.Append(", ");
            s.Append((long)(ushort)insn.Imm);
            s.Append(')');
            return;
        }
        Reg(ref s, w, insn.Dst);
        s.Append(' ');
        if (insn.Offset == 1 && op is AluOp.Div or AluOp.Mod)
            s.Append('s');
        // glibc prints a NULL %s as "(null)": what the kernel's table gives for op 0xe0/0xf0.
        s.Append(info.IsValid ? info.Operator : "(null)");
        s.Append(' ');
        if (insn.Source == OpSource.X)
        {
            if (op == AluOp.Mov && insn.Offset is 8 or 16 or 32)
            {
                s.Append("(s");
                s.Append((long)insn.Offset);
                s.Append(')');
            }
            Reg(ref s, w, insn.Src);
        }
        else
            s.Append(insn.Imm);
    }

    private static void WriteStx(ref TextSink s, Instruction insn)
    {
        if (insn.Mode == OpMode.Mem)
        {
            Memory(ref s, insn.AccessSize, signed: false, insn.Dst, insn.Offset);
            s.Append(" = ");
            Reg(ref s, 'r', insn.Src);
            return;
        }
        bool dw = insn.AccessSize == OpSize.DW;
        int imm = insn.Imm;
        switch (imm)
        {
            case AtomicOp.Add or AtomicOp.And or AtomicOp.Or or AtomicOp.Xor:
                s.Append("lock ");
                Memory(ref s, insn.AccessSize, signed: false, insn.Dst, insn.Offset);
                s.Append(' ');
                s.Append(OpcodeTable.Get((byte)((int)OpClass.Alu64 | imm)).Operator);
                s.Append(' ');
                Reg(ref s, 'r', insn.Src);
                return;
            case AtomicOp.Add | AtomicOp.Fetch or AtomicOp.And | AtomicOp.Fetch
                or AtomicOp.Or | AtomicOp.Fetch or AtomicOp.Xor | AtomicOp.Fetch:
                Reg(ref s, 'r', insn.Src);
                s.Append(dw ? " = atomic64_fetch_" : " = atomic_fetch_");
                s.Append(OpcodeTable.Get((byte)((int)OpClass.Alu64 | (imm & 0xf0))).Mnemonic);
                s.Append('(');
                Memory(ref s, insn.AccessSize, signed: false, insn.Dst, insn.Offset, deref: false);
                s.Append(", ");
                Reg(ref s, 'r', insn.Src);
                s.Append(')');
                return;
            case AtomicOp.CmpXchg:
                s.Append(dw ? "r0 = atomic64_cmpxchg(" : "r0 = atomic_cmpxchg(");
                Memory(ref s, insn.AccessSize, signed: false, insn.Dst, insn.Offset, deref: false);
                s.Append(", r0, ");
                Reg(ref s, 'r', insn.Src);
                s.Append(')');
                return;
            case AtomicOp.Xchg:
                Reg(ref s, 'r', insn.Src);
                s.Append(dw ? " = atomic64_xchg(" : " = atomic_xchg(");
                Memory(ref s, insn.AccessSize, signed: false, insn.Dst, insn.Offset, deref: false);
                s.Append(", ");
                Reg(ref s, 'r', insn.Src);
                s.Append(')');
                return;
            case LoadAcquire:
                Reg(ref s, dw ? 'r' : 'w', insn.Dst);
                s.Append(" = load_acquire(");
                Memory(ref s, insn.AccessSize, signed: false, insn.Src, insn.Offset, deref: false);
                s.Append(')');
                return;
            case StoreRelease:
                s.Append("store_release(");
                Memory(ref s, insn.AccessSize, signed: false, insn.Dst, insn.Offset, deref: false);
                s.Append(", ");
                Reg(ref s, dw ? 'r' : 'w', insn.Src);
                s.Append(')');
                return;
            default:
                return;
        }
    }

    private const int LoadAcquire = 0x100;
    private const int StoreRelease = 0x110;

    private static void WriteLd(ref TextSink s, Instruction insn, Instruction next, IKernelSymbols? symbols)
    {
        var size = insn.AccessSize;
        if (insn.Mode is OpMode.Abs or OpMode.Ind)
        {
            s.Append("r0 = *(");
            s.Append(CType(size, signed: false));
            s.Append(" *)skb[");
            if (insn.Mode == OpMode.Ind)
            {
                Reg(ref s, 'r', insn.Src);
                s.Append(" + ");
            }
            s.Append(insn.Imm);
            s.Append(']');
            return;
        }
        Reg(ref s, 'r', insn.Dst);
        s.Append(" = ");
        if (symbols?.Imm64(insn, next) is { } text)
        {
            s.Append(text);
            return;
        }
        s.Append("0x");
        s.AppendHexDigits((ulong)Instruction.Wide(insn, next));
    }

    private static void WriteJmp(ref TextSink s, Instruction insn, OpcodeInfo info, char w, IKernelSymbols? symbols)
    {
        var op = insn.JmpOp;
        if (op == JmpOp.Call)
        {
            if (insn.Src == PseudoSource.Call)
            {
                s.Append("call pc");
                s.Append(CallName(insn, symbols));
                return;
            }
            s.Append("call ");
            s.Append(CallName(insn, symbols));
            s.Append('#');
            s.Append(insn.Imm);
            return;
        }
        switch (insn.Opcode)
        {
            case Opcodes.Ja:
                s.Append("goto pc");
                Signed(ref s, insn.Offset);
                return;
            case MayGoto when insn.Src == 0:
                s.Append("may_goto pc");
                Signed(ref s, insn.Offset);
                return;
            case Opcodes.Ja32:
                s.Append("gotol pc");
                Signed(ref s, insn.Imm);
                return;
            case Opcodes.Exit:
                s.Append("exit");
                return;
        }
        s.Append("if ");
        Reg(ref s, w, insn.Dst);
        s.Append(' ');
        s.Append(info.IsValid ? info.Operator : JmpFallback(op));
        s.Append(' ');
        if (insn.Source == OpSource.X)
            Reg(ref s, w, insn.Src);
        else
        {
            s.Append("0x");
            s.AppendHexDigits((uint)insn.Imm);
        }
        s.Append(" goto pc");
        Signed(ref s, insn.Offset);
    }

    /// <summary>BPF_JMP | BPF_JCOND: may_goto.</summary>
    private const byte MayGoto = 0xe5;

    /// <summary>The kernel's jump-operator table for opcodes the ISA table does not hold (JA in JMP32 with src, CALL/EXIT in JMP32...).</summary>
    private static string JmpFallback(JmpOp op) => op switch
    {
        JmpOp.Ja => "jmp",
        JmpOp.Call => "call",
        JmpOp.Exit => "exit",
        _ => "(null)",
    };

    /// <summary>The kernel's __func_get_name.</summary>
    private static string CallName(Instruction insn, IKernelSymbols? symbols)
    {
        if (insn.Src == 0 && insn.Imm >= 0 && HelperName(insn.Imm) is { } helper)
            return helper;
        if (symbols?.CallTarget(insn) is { } name)
            return name;
        return insn.Src switch
        {
            PseudoSource.Call => insn.Imm.ToString("+0;-0", CultureInfo.InvariantCulture),
            PseudoSource.KfuncCall => "kernel-function",
            _ => "unknown",
        };
    }

    private static string? HelperName(int id) => id == 0 ? "bpf_unspec" : BpfHelperNames.Name(id);

    /// <summary><c>*(u32 *)(r1 +0)</c>, or without the leading star for the atomic builtins' pointer argument.</summary>
    private static void Memory(ref TextSink s, OpSize size, bool signed, int reg, short offset, bool deref = true)
    {
        s.Append(deref ? "*(" : "(");
        s.Append(CType(size, signed));
        s.Append(" *)(");
        Reg(ref s, 'r', reg);
        s.Append(' ');
        Signed(ref s, offset);
        s.Append(')');
    }

    private static string CType(OpSize size, bool signed)
    {
        var unsigned = OpcodeTable.CTypeOfSize(OpcodeTable.BytesOf(size));
        if (!signed)
            return unsigned;
        // The kernel's ldsx table has no 64-bit entry: glibc prints "(null)".
        return size switch { OpSize.B => "s8", OpSize.H => "s16", OpSize.W => "s32", _ => "(null)" };
    }

    private static void Reg(ref TextSink s, char prefix, int r)
    {
        s.Append(prefix);
        s.Append((long)r);
    }

    /// <summary>printf's %+d.</summary>
    private static void Signed(ref TextSink s, int value)
    {
        if (value >= 0)
            s.Append('+');
        s.Append(value);
    }

    private static void Hex2(ref TextSink s, byte value)
    {
        const string digits = "0123456789abcdef";
        s.Append(digits[value >> 4]);
        s.Append(digits[value & 0xf]);
    }
}
