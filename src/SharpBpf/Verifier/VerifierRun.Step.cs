using SharpBpf.Isa;

namespace SharpBpf.Verifier;

/// <summary>Instructions: ALU, ld_imm64, jumps and exit (do_check's dispatch).</summary>
internal sealed partial class VerifierRun
{
    /// <summary>Executes instruction <paramref name="i"/> on the current state; false when the path ends.</summary>
    private bool Step(int i)
    {
        var insn = _insns[i];
        var info = insn.Info;
        switch (info.Shape)
        {
            case InstructionShape.Alu:
            case InstructionShape.Neg:
            case InstructionShape.Endian:
                Alu(insn, info);
                _state.Insn = i + 1;
                return true;
            case InstructionShape.LoadImm64:
                LoadImm64(i, insn);
                _state.Insn = i + 2;
                return true;
            case InstructionShape.Load:
            case InstructionShape.StoreImm:
            case InstructionShape.StoreReg:
            case InstructionShape.Atomic:
                MemoryInstruction(insn, info);
                _state.Insn = i + 1;
                return true;
            case InstructionShape.LoadPacket:
                LegacyPacketLoad(insn, info);
                _state.Insn = i + 1;
                return true;
            case InstructionShape.Ja:
                _state.Insn = i + 1 + (insn.Opcode == Opcodes.Ja32 ? insn.Imm : insn.Offset);
                return true;
            case InstructionShape.CondJump:
                return CondJump(i, insn, info);
            case InstructionShape.Call:
                return Call(i, insn);
            case InstructionShape.Exit:
                return Exit();
            default:
                throw Fail($"unknown opcode {insn.Opcode:x2}");
        }
    }

    private ref RegState Reg(int r) => ref _state.Regs[r];

    private RegState Read(int r)
    {
        if (r > 10)
            throw Fail($"R{r} is invalid");
        var reg = _state.Regs[r];
        if (reg.Kind == RegKind.NotInit)
            throw Fail($"R{r} !read_ok");
        return reg;
    }

    private void Write(int r, RegState value)
    {
        if (r == 10)
            throw Fail("frame pointer is read only");
        if (r > 10)
            throw Fail($"R{r} is invalid");
        _state.Regs[r] = value;
    }

    private void Alu(Instruction insn, OpcodeInfo info)
    {
        bool is64 = insn.Class == OpClass.Alu64;
        int dst = insn.Dst;
        var op = insn.AluOp;
        if (info.Shape == InstructionShape.Endian)
        {
            var v = Read(dst);
            Write(dst, v.IsScalar ? ScalarMath.Endian(v, insn.Imm, swap: is64 || insn.Source == OpSource.X) : RegState.Unknown);
            return;
        }
        if (info.Shape == InstructionShape.Neg)
        {
            var v = Read(dst);
            if (v.IsPointer)
                throw Fail($"R{dst} pointer arithmetic with neg operator prohibited");
            Write(dst, ScalarMath.Apply(AluOp.Sub, RegState.Const(0), v, is64));
            return;
        }
        RegState src;
        if (insn.Source == OpSource.X)
            src = Read(insn.Src);
        else
            src = RegState.Const(is64 ? (ulong)(long)insn.Imm : (uint)insn.Imm);
        if (op == AluOp.Mov)
        {
            Mov(insn, dst, src, is64);
            return;
        }
        var d = Read(dst);
        if (op is AluOp.Div or AluOp.Mod && insn.Source == OpSource.K && insn.Imm == 0)
            throw Fail("div by zero");
        if (op is AluOp.Lsh or AluOp.Rsh or AluOp.Arsh && insn.Source == OpSource.K && (insn.Imm < 0 || insn.Imm >= (is64 ? 64 : 32)))
            throw Fail($"invalid shift {insn.Imm}");
        if (d.IsPointer || src.IsPointer)
        {
            Write(dst, PointerArithmetic(insn, dst, d, src, is64));
            return;
        }
        if (insn.Offset != 0 && op is AluOp.Div or AluOp.Mod)
        {
            Write(dst, d.IsConst && src.IsConst && src.Var.Value != 0 ? SignedDivMod(op, d, src, is64) : is64 ? RegState.Unknown : RegState.UnsignedRange(0, uint.MaxValue));
            return;
        }
        Write(dst, ScalarMath.Apply(op, d, src, is64));
    }

    private static RegState SignedDivMod(AluOp op, RegState a, RegState b, bool is64)
    {
        if (is64)
        {
            long x = (long)a.Var.Value, y = (long)b.Var.Value;
            if (x == long.MinValue && y == -1) return RegState.Const(op == AluOp.Div ? (ulong)x : 0);
            return RegState.Const((ulong)(op == AluOp.Div ? x / y : x % y));
        }
        int x32 = (int)a.Var.Value, y32 = (int)b.Var.Value;
        if (x32 == int.MinValue && y32 == -1) return RegState.Const(op == AluOp.Div ? (uint)x32 : 0);
        return RegState.Const((uint)(op == AluOp.Div ? x32 / y32 : x32 % y32));
    }

    private void Mov(Instruction insn, int dst, RegState src, bool is64)
    {
        if (insn.Source == OpSource.X && insn.Offset is 8 or 16 or 32)
        {
            var v = src.IsScalar ? ScalarMath.SignExtend(is64 ? src : ScalarMath.Subreg(src), insn.Offset) : RegState.Unknown;
            Write(dst, is64 ? v : ScalarMath.Subreg(v));
            return;
        }
        if (!is64)
        {
            Write(dst, src.IsScalar ? ScalarMath.Subreg(src) : RegState.UnsignedRange(0, uint.MaxValue));
            return;
        }
        if (insn.Source == OpSource.X && src.IsScalar && !src.IsConst)
        {
            // r1 = r2 links the copies: what a branch learns about one applies to the other.
            if (src.Id == 0)
            {
                src.Id = NewId();
                _state.Regs[insn.Src] = src;
            }
        }
        Write(dst, src);
    }

    /// <summary>adjust_ptr_min_max_vals: pointer += scalar, pointer -= scalar, pointer - pointer.</summary>
    private RegState PointerArithmetic(Instruction insn, int dst, RegState d, RegState s, bool is64)
    {
        var op = insn.AluOp;
        if (d.IsPointer && s.IsPointer)
        {
            if (op == AluOp.Sub)
                return is64 ? RegState.Unknown : RegState.UnsignedRange(0, uint.MaxValue);
            throw Fail($"R{dst} pointer {OperatorName(op)} pointer prohibited");
        }
        if (!is64)
        {
            if (op == AluOp.Sub)
                return RegState.Unknown;
            throw Fail($"R{dst} 32-bit pointer arithmetic prohibited");
        }
        var ptr = d.IsPointer ? d : s;
        var off = d.IsPointer ? s : d;
        if (op == AluOp.Sub && !d.IsPointer)
            throw Fail($"R{dst} tried to subtract pointer from scalar");
        if (op is AluOp.And or AluOp.Or or AluOp.Xor)
            throw Fail($"R{dst} bitwise operator {OperatorName(op)} on pointer prohibited");
        if (op is not (AluOp.Add or AluOp.Sub))
            throw Fail($"R{dst} pointer arithmetic with {OperatorName(op)} operator prohibited");
        if (ptr.MaybeNull)
            throw Fail($"R{dst} pointer arithmetic on {ptr.TypeName} prohibited, null-check it first");
        switch (ptr.Kind)
        {
            case RegKind.Ctx or RegKind.MapValue or RegKind.MapKey or RegKind.Stack or RegKind.Packet or RegKind.PacketMeta
                or RegKind.Mem or RegKind.RingbufMem or RegKind.BtfId or RegKind.Func:
                break;
            case RegKind.MapPtr when off.IsConst && off.Var.Value == 0 && op == AluOp.Add:
                return ptr;
            default:
                throw Fail($"R{dst} pointer arithmetic on {ptr.TypeName} prohibited");
        }
        const long maxVarOff = 1 << 29;
        if (off.IsConst && ((long)off.Var.Value >= maxVarOff || (long)off.Var.Value <= -maxVarOff))
            throw Fail($"math between {ptr.TypeName} pointer and {(long)off.Var.Value} is not allowed");
        if (!off.IsConst && off.SMin == long.MinValue)
            throw Fail($"math between {ptr.TypeName} pointer and register with unbounded min value is not allowed");
        if (!off.IsConst && (off.SMin >= maxVarOff || off.SMin <= -maxVarOff))
            throw Fail($"value {off.SMin} makes {ptr.TypeName} pointer be out of bounds");
        if (ptr.Kind == RegKind.Stack && op == AluOp.Sub)
            throw Fail($"R{dst} subtraction from stack pointer prohibited");
        var result = ptr;
        if (off.IsConst)
        {
            long delta = op == AluOp.Add ? (long)off.Var.Value : -(long)off.Var.Value;
            long newOff = result.Off + delta;
            if (newOff >= maxVarOff || newOff <= -maxVarOff)
                throw Fail($"value {newOff} makes {ptr.TypeName} pointer be out of bounds");
            result.Off = (int)newOff;
            return result;
        }
        var variable = RegState.Unknown;
        variable.Var = ptr.Var; variable.SMin = ptr.SMin; variable.SMax = ptr.SMax; variable.UMin = ptr.UMin; variable.UMax = ptr.UMax;
        var sum = ScalarMath.Apply(op, variable, off, true);
        result.Var = sum.Var; result.SMin = sum.SMin; result.SMax = sum.SMax; result.UMin = sum.UMin; result.UMax = sum.UMax;
        if (result.IsPacketPointer)
        {
            // A variable offset makes a new packet pointer: no range is known for it yet.
            result.Id = NewId();
            result.Range = 0;
        }
        return result;
    }

    private static string OperatorName(AluOp op) => op switch
    {
        AluOp.Add => "+=", AluOp.Sub => "-=", AluOp.Mul => "*=", AluOp.Div => "/=", AluOp.Or => "|=", AluOp.And => "&=",
        AluOp.Lsh => "<<=", AluOp.Rsh => ">>=", AluOp.Mod => "%=", AluOp.Xor => "^=", AluOp.Arsh => "s>>=", _ => "?",
    };

    private void LoadImm64(int i, Instruction insn)
    {
        var next = _insns[i + 1];
        switch (insn.Src)
        {
            case 0 when !input.MapLoads.ContainsKey(i) && !input.KernelSymbolLoads.Contains(i):
                Write(insn.Dst, RegState.Const((ulong)Instruction.Wide(insn, next)));
                return;
            case PseudoSource.Func:
            {
                var f = RegState.Pointer(RegKind.Func);
                f.Size = i + insn.Imm + 1;
                Write(insn.Dst, f);
                return;
            }
        }
        if (input.MapLoads.TryGetValue(i, out var load))
        {
            if (load.ValueOffset is { } offset)
            {
                var v = RegState.Pointer(RegKind.MapValue, offset);
                v.Map = load.Map;
                Write(insn.Dst, v);
            }
            else
            {
                var m = RegState.Pointer(RegKind.MapPtr);
                m.Map = load.Map;
                Write(insn.Dst, m);
            }
            return;
        }
        if (input.KernelSymbolLoads.Contains(i) || insn.Src == PseudoSource.BtfId)
        {
            Write(insn.Dst, RegState.Pointer(RegKind.BtfId));
            return;
        }
        throw Fail($"unrecognized bpf_ld_imm64 insn (no map for src {insn.Src} at insn {i})");
    }

    private bool Exit()
    {
        var frame = _state.Current;
        var r0 = frame.Regs[0];
        if (r0.Kind == RegKind.NotInit)
            throw Fail("R0 !read_ok");
        if (_state.Frames.Count > 1)
            return ReturnFromFunction(frame, r0);
        foreach (var (id, at) in _state.References)
            throw Fail($"Unreleased reference id={id} alloc_insn={at}");
        CheckReturnCode(r0);
        return false;
    }

    /// <summary>check_return_code for the program types whose return value the kernel restricts.</summary>
    private void CheckReturnCode(RegState r0)
    {
        (long Min, long Max)? range = input.Type switch
        {
            BpfProgramType.CgroupSkb => (0, input.AttachType == BpfAttachType.CgroupInetEgress ? 3 : 1),
            BpfProgramType.CgroupSock or BpfProgramType.CgroupDevice or BpfProgramType.CgroupSysctl or BpfProgramType.CgroupSockopt
                or BpfProgramType.CgroupSockAddr => (0, 1),
            _ => null,
        };
        if (range is not { } r)
            return;
        if (!r0.IsScalar)
            throw Fail($"At program exit the register R0 is not a known value ({r0.TypeName})");
        if (r0.SMin < r.Min || r0.SMax > r.Max || r0.UMax > (ulong)r.Max)
        {
            string has = r0.IsConst ? $"smin={(long)r0.Var.Value} smax={(long)r0.Var.Value}"
                : r0.UMax == ulong.MaxValue && r0.SMin == long.MinValue ? "unknown scalar value" : $"smin={r0.SMin} smax={r0.SMax}";
            throw Fail($"At program exit the register R0 has {has} should have been in [{r.Min}, {r.Max}]");
        }
    }

    private bool CondJump(int i, Instruction insn, OpcodeInfo info)
    {
        bool is64 = insn.Class == OpClass.Jmp;
        var op = insn.JmpOp;
        int target = i + 1 + insn.Offset;
        var a = Read(insn.Dst);
        RegState b = insn.Source == OpSource.X ? Read(insn.Src) : RegState.Const(is64 ? (ulong)(long)insn.Imm : (uint)insn.Imm);
        bool? taken = null;
        if (a.IsScalar && b.IsScalar)
            taken = BranchMath.Decide(op, a, b, is64);
        else if (is64 && op is JmpOp.Jeq or JmpOp.Jne && (IsNullConst(a) && NeverNull(b) || IsNullConst(b) && NeverNull(a)))
            taken = op == JmpOp.Jne;
        if (taken is { } t)
        {
            _state.Insn = t ? target : i + 1;
            return true;
        }
        var other = _state.Clone();
        bool thisOk = Narrow(_state, insn, op, taken: false, is64);
        bool otherOk = Narrow(other, insn, op, taken: true, is64);
        if (otherOk)
            Fork(other, target);
        if (!thisOk)
            return false;
        _state.Insn = i + 1;
        return true;
    }

    private static bool IsNullConst(RegState r) => r.IsScalar && r.IsConst && r.Var.Value == 0;

    private static bool NeverNull(RegState r) => !r.MaybeNull && r.Kind is RegKind.MapValue or RegKind.MapKey or RegKind.Mem
        or RegKind.RingbufMem or RegKind.MapPtr or RegKind.BtfId;

    /// <summary>What the side of a branch learns: scalar bounds, a null check, a packet range.</summary>
    private bool Narrow(VerifierState state, Instruction insn, JmpOp op, bool taken, bool is64)
    {
        var regs = state.Regs;
        var a = regs[insn.Dst];
        var b = insn.Source == OpSource.X ? regs[insn.Src] : RegState.Const(is64 ? (ulong)(long)insn.Imm : (uint)insn.Imm);
        if (a.IsScalar && b.IsScalar)
        {
            if (!BranchMath.Refine(op, taken, ref a, ref b, is64))
                return false;
            UpdateLinked(state, insn.Dst, a);
            if (insn.Source == OpSource.X)
                UpdateLinked(state, insn.Src, b);
            return true;
        }
        if (is64 && op is JmpOp.Jeq or JmpOp.Jne)
        {
            bool isNullSide = (op == JmpOp.Jeq) == taken;
            if (a.MaybeNull && IsNullConst(b))
                MarkNullChecked(state, a, isNullSide);
            else if (b.MaybeNull && IsNullConst(a))
                MarkNullChecked(state, b, isNullSide);
            return true;
        }
        if (is64 && insn.Source == OpSource.X)
            PacketRange(state, op, taken, a, b);
        return true;
    }

    /// <summary>Gives every copy of a scalar (same id) the bounds a branch learned.</summary>
    private static void UpdateLinked(VerifierState state, int reg, RegState value)
    {
        state.Regs[reg] = value;
        if (value.Id == 0)
            return;
        foreach (var slot in state.AllValues())
        {
            ref var r = ref VerifierState.At(slot);
            if (r.Kind == RegKind.Scalar && r.Id == value.Id)
                r = value;
        }
    }

    private static void MarkNullChecked(VerifierState state, RegState ptr, bool isNull)
    {
        if (ptr.Id == 0)
            return;
        int id = ptr.Id;
        foreach (var slot in state.AllValues())
        {
            ref var r = ref VerifierState.At(slot);
            if (r.Kind == RegKind.NotInit || r.Id != id || !r.MaybeNull)
                continue;
            if (isNull)
                r = RegState.Const(0);
            else
            {
                r.MaybeNull = false;
                if (r.RefId == 0)
                    r.Id = 0;
            }
        }
        if (isNull && ptr.RefId != 0)
            state.References.Remove(ptr.RefId);
    }

    /// <summary>try_match_pkt_pointers: a packet pointer compared with the packet end proves a range on one side.</summary>
    private static void PacketRange(VerifierState state, JmpOp op, bool taken, RegState a, RegState b)
    {
        // Normalise to "pkt OP end".
        RegState pkt;
        if (a.IsPacketPointer && (b.Kind == RegKind.PacketEnd || (a.Kind == RegKind.PacketMeta && b.Kind == RegKind.Packet)))
            pkt = a;
        else if (b.IsPacketPointer && (a.Kind == RegKind.PacketEnd || (b.Kind == RegKind.PacketMeta && a.Kind == RegKind.Packet)))
        {
            pkt = b;
            op = op switch { JmpOp.Jgt => JmpOp.Jlt, JmpOp.Jlt => JmpOp.Jgt, JmpOp.Jge => JmpOp.Jle, JmpOp.Jle => JmpOp.Jge, _ => op };
        }
        else
            return;
        if (!taken)
            op = BranchMath.Negate(op);
        // Now "pkt op end" holds on this side.
        int range;
        switch (op)
        {
            case JmpOp.Jle: range = pkt.Off; break;           // pkt + off <= end: off bytes readable
            case JmpOp.Jlt: range = pkt.Off + 1; break;       // pkt + off < end
            default: return;
        }
        if (pkt.UMax > 0xffff || pkt.UMax + (ulong)Math.Max(pkt.Off, 0) > 0xffff || pkt.Off < 0)
            return;
        foreach (var slot in state.AllValues())
        {
            ref var r = ref VerifierState.At(slot);
            if (r.Kind == pkt.Kind && r.Id == pkt.Id)
                r.Range = Math.Max(r.Range, range);
        }
    }
}
