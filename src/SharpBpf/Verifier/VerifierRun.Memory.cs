using SharpBpf.Isa;

namespace SharpBpf.Verifier;

/// <summary>Loads, stores and atomics (check_mem_access): each pointer kind's bounds, the stack's slots, the context's fields.</summary>
internal sealed partial class VerifierRun
{
    private enum AccessKind { Read, Write, Helper }

    private void MemoryInstruction(Instruction insn, OpcodeInfo info)
    {
        int size = info.Width;
        switch (info.Shape)
        {
            case InstructionShape.Load:
            {
                var ptr = Read(insn.Src);
                var value = Access(insn.Src, ptr, insn.Offset, size, AccessKind.Read, null, insn.Mode == OpMode.MemSx);
                Write(insn.Dst, value);
                break;
            }
            case InstructionShape.StoreImm:
            {
                var ptr = Read(insn.Dst);
                Access(insn.Dst, ptr, insn.Offset, size, AccessKind.Write, RegState.Const((ulong)(long)insn.Imm), false);
                break;
            }
            case InstructionShape.StoreReg:
            {
                var ptr = Read(insn.Dst);
                var value = Read(insn.Src);
                Access(insn.Dst, ptr, insn.Offset, size, AccessKind.Write, value, false);
                break;
            }
            case InstructionShape.Atomic:
                Atomic(insn, size);
                break;
        }
    }

    private void Atomic(Instruction insn, int size)
    {
        if (insn.Imm == Vm.VmAtomic.LoadAcquire)
        {
            var from = Read(insn.Src);
            Write(insn.Dst, Access(insn.Src, from, insn.Offset, size, AccessKind.Read, null, false));
            return;
        }
        if (insn.Imm == Vm.VmAtomic.StoreRelease)
        {
            var to = Read(insn.Dst);
            Access(insn.Dst, to, insn.Offset, size, AccessKind.Write, Read(insn.Src), false);
            return;
        }
        if (size is not (4 or 8))
            throw Fail("invalid atomic operand size");
        var ptr = Read(insn.Dst);
        var value = Read(insn.Src);
        if (insn.Imm == AtomicOp.CmpXchg)
            Read(0);
        if (ptr.Kind is RegKind.Ctx or RegKind.Packet or RegKind.PacketMeta or RegKind.BtfId)
            throw Fail($"BPF_ATOMIC stores into R{insn.Dst} {ptr.TypeName} is not allowed");
        Access(insn.Dst, ptr, insn.Offset, size, AccessKind.Read, null, false);
        Access(insn.Dst, _state.Regs[insn.Dst], insn.Offset, size, AccessKind.Write, RegState.Unknown, false);
        _ = value;
        if (insn.Imm == AtomicOp.CmpXchg)
            Write(0, ScalarMath.Loaded(size, false));
        else if ((insn.Imm & AtomicOp.Fetch) != 0)
            Write(insn.Src, ScalarMath.Loaded(size, false));
    }

    private void LegacyPacketLoad(Instruction insn, OpcodeInfo info)
    {
        if (input.Type is not (BpfProgramType.SocketFilter or BpfProgramType.SchedCls or BpfProgramType.SchedAct))
            throw Fail("BPF_LD_[ABS|IND] instructions not allowed for this program type");
        if (Read(6).Kind != RegKind.Ctx)
            throw Fail("at the time of BPF_LD_ABS|IND R6 != pointer to skb");
        if (insn.Mode == OpMode.Ind)
            Read(insn.Src);
        for (int r = 1; r <= 5; r++)
            _state.Regs[r] = RegState.NotInit;
        _state.Regs[0] = ScalarMath.Loaded(info.Width, false);
    }

    /// <summary>
    /// Checks an access of <paramref name="size"/> bytes at <paramref name="ptr"/> + <paramref name="off"/> and
    /// performs it on the abstract state: returns what a read loads; a write stores <paramref name="value"/>.
    /// </summary>
    private RegState Access(int regno, RegState ptr, int off, int size, AccessKind kind, RegState? value, bool signExtend)
    {
        bool write = kind == AccessKind.Write;
        if (kind != AccessKind.Helper)
            Facts.Note(_state.Insn, FactOf(ptr, write));
        if (ptr.MaybeNull || ptr.Kind is RegKind.Scalar or RegKind.PacketEnd or RegKind.MapPtr or RegKind.Func)
            throw Fail($"R{regno} invalid mem access '{ptr.TypeName}'");
        switch (ptr.Kind)
        {
            case RegKind.Ctx:
                return ContextAccess(regno, ptr, off, size, write, value);
            case RegKind.Stack:
                return StackAccess(regno, ptr, off, size, kind, value, signExtend);
            case RegKind.Packet:
            case RegKind.PacketMeta:
            {
                if (write && !ContextRules.CanWritePacket(input.Type))
                    throw Fail("cannot write into packet");
                if (ptr.SMin < 0)
                    throw Fail($"R{regno} min value is negative, either use unsigned index or do a if (index >=0) check.");
                int total = ptr.Off + off;
                if (total < 0 || total + size > ptr.Range)
                    throw Fail($"invalid access to packet, off={total} size={size}, R{regno}(id={ptr.Id},off={total},r={ptr.Range})\n" +
                        $"R{regno} offset is outside of the packet");
                return ScalarMath.Loaded(size, signExtend);
            }
            case RegKind.MapValue:
            {
                var map = ptr.Map!;
                if (write && map.IsReadOnlyData)
                    throw Fail($"write into map forbidden, value_size={map.ValueSize} off={ptr.Off + off} size={size}");
                RegionAccess(regno, ptr, off, size, map.ValueSize, (o, s) => $"invalid access to map value, value_size={map.ValueSize} off={o} size={s}");
                if (!write && map.IsReadOnlyData && map.InitialValue is { } bytes && ptr.IsConst && size <= 8)
                {
                    int at = ptr.Off + off + (int)ptr.Var.Value;
                    ulong v = 0;
                    for (int b = size - 1; b >= 0; b--)
                        v = (v << 8) | bytes[at + b];
                    return signExtend ? ScalarMath.SignExtend(RegState.Const(v), size * 8) : RegState.Const(v);
                }
                return ScalarMath.Loaded(size, signExtend);
            }
            case RegKind.MapKey:
                if (write)
                    throw Fail($"write to change key R{regno} not allowed");
                RegionAccess(regno, ptr, off, size, ptr.Size, (o, s) => $"invalid access to map key, key_size={ptr.Size} off={o} size={s}");
                return ScalarMath.Loaded(size, signExtend);
            case RegKind.Mem:
            case RegKind.RingbufMem:
                RegionAccess(regno, ptr, off, size, ptr.Size, (o, s) => $"invalid access to memory, mem_size={ptr.Size} off={o} size={s}");
                return ScalarMath.Loaded(size, signExtend);
            case RegKind.BtfId:
                if (write)
                    throw Fail("only read is supported");
                return size == 8 && !signExtend ? RegState.Pointer(RegKind.BtfId) : ScalarMath.Loaded(size, signExtend);
            default:
                throw Fail($"R{regno} invalid mem access '{ptr.TypeName}'");
        }
    }

    /// <summary>The kind of proof an access through <paramref name="ptr"/> gives the JIT (noted before it is checked: a
    /// failing check rejects the program and its facts with it).</summary>
    private static VerifiedFacts.Access FactOf(RegState ptr, bool write) => ptr.Kind switch
    {
        RegKind.Stack => VerifiedFacts.Access.Stack,
        RegKind.Packet => VerifiedFacts.Access.Packet,
        RegKind.MapValue when !write || ProgramWritable(ptr.Map!) => VerifiedFacts.Access.MapValue,
        _ => VerifiedFacts.Access.Other,
    };

    /// <summary>Values of the map types whose values programs write in place (not .rodata, not BPF_F_RDONLY_PROG; not
    /// devmap/cpumap, whose values the kernel lets programs only read): writes to any other stay checked whatever was proven.</summary>
    private static bool ProgramWritable(Objects.MapSpec map) =>
        map.Type is BpfMapType.Array or BpfMapType.PercpuArray or BpfMapType.Hash or BpfMapType.PercpuHash or BpfMapType.LruHash
            or BpfMapType.LruPercpuHash
        && !map.IsReadOnlyData && (map.Flags & (uint)Vm.Maps.BpfMapCreateFlags.ReadOnlyProgram) == 0;

    /// <summary>check_mem_region_access: the fixed offset plus the variable part's bounds stay inside the region.</summary>
    private void RegionAccess(int regno, RegState ptr, int off, int size, int regionSize, Func<long, int, string> outside)
    {
        long fixedOff = (long)ptr.Off + off;
        if (ptr.SMin < 0 && (ptr.SMin == long.MinValue || fixedOff + ptr.SMin < 0 || fixedOff + ptr.SMin != (int)(fixedOff + ptr.SMin)))
            throw Fail($"R{regno} min value is negative, either use unsigned index or do a if (index >=0) check.");
        long low = ptr.SMin + fixedOff;
        if (low < 0 || low + size > regionSize)
            throw Fail(outside(low, size) + (ptr.IsConst ? "" : $"\nR{regno} min value is outside of the allowed memory range"));
        if (ptr.UMax >= 1UL << 29)
            throw Fail($"R{regno} unbounded memory access, make sure to bounds check any such access");
        long high = (long)ptr.UMax + fixedOff;
        if (high < 0 || high + size > regionSize)
            throw Fail(outside(high, size) + (ptr.IsConst ? "" : $"\nR{regno} max value is outside of the allowed memory range"));
    }

    private RegState ContextAccess(int regno, RegState ptr, int off, int size, bool write, RegState? value)
    {
        if (ptr.Off != 0)
            throw Fail($"dereference of modified ctx ptr R{regno} off={ptr.Off} disallowed");
        if (!ptr.IsConst || ptr.Var.Value != 0)
            throw Fail($"variable ctx access var_off={ptr.Var} disallowed");
        var field = ContextRules.Access(input.Type, input.AttachType, off, size, write)
            ?? throw Fail($"invalid bpf_context access off={off} size={size}");
        _ = value;
        return field switch
        {
            ContextField.Packet => RegState.Pointer(RegKind.Packet),
            ContextField.PacketMeta => RegState.Pointer(RegKind.PacketMeta),
            ContextField.PacketEnd => RegState.Pointer(RegKind.PacketEnd),
            ContextField.BtfId => RegState.Pointer(RegKind.BtfId),
            _ => ScalarMath.Loaded(size, false),
        };
    }

    private RegState StackAccess(int regno, RegState ptr, int off, int size, AccessKind kind, RegState? value, bool signExtend)
    {
        var frame = _state.Frames[ptr.Frame];
        var aligned = ptr.Var.Add(Tnum.Const((ulong)(long)(ptr.Off + off)));
        if (kind != AccessKind.Helper && !aligned.IsAligned((ulong)size))
            throw Fail($"misaligned stack access off {ptr.Var}+{ptr.Off}+{off} size {size}");
        long min = ptr.IsConst ? (long)ptr.Var.Value + ptr.Off + off : ptr.SMin + ptr.Off + off;
        long max = ptr.IsConst ? min + size : ptr.SMax + ptr.Off + off + size;
        if (min < -FrameState.StackSize || min >= 0 || max > 0 || (!ptr.IsConst && ptr.SMin == long.MinValue))
        {
            string extra = kind switch { AccessKind.Read => " read from", AccessKind.Write => " write to", _ => " indirect access to" };
            throw Fail(ptr.IsConst
                ? $"invalid{extra} stack R{regno} off={ptr.Off + off + (long)ptr.Var.Value} size={size}"
                : $"invalid variable-offset{extra} stack R{regno} var_off={ptr.Var} off={ptr.Off + off} size={size}");
        }
        int depthAt = frame.FunctionStart;
        _stackDepth[depthAt] = Math.Max(_stackDepth[depthAt], (int)-min);
        int start = (int)(min + FrameState.StackSize), end = (int)(max + FrameState.StackSize);
        if (kind == AccessKind.Write)
        {
            StackWrite(frame, ptr, start, end, size, value ?? RegState.Unknown);
            return default;
        }
        if (kind == AccessKind.Helper)
        {
            if (value is { } written)
                StackWrite(frame, ptr, start, end, size, written);
            return default;
        }
        if (!ptr.IsConst)
            return ScalarMath.Loaded(size, signExtend);
        return StackRead(frame, start, size, signExtend);
    }

    private void StackWrite(FrameState frame, RegState ptr, int start, int end, int size, RegState value)
    {
        bool fixedSlot = ptr.IsConst && size == 8 && start % 8 == 0;
        if (value.IsPointer && !fixedSlot)
            throw Fail("invalid size of register spill");
        if (value.Kind == RegKind.Stack && ptr.Frame < _state.Frames.Count - 1 && ptr.Frame != value.Frame)
            throw Fail("cannot spill pointers to stack into stack frame of the caller");
        // Bytes of a partly overwritten spill lose their register.
        for (int b = start & ~7; b < ((end + 7) & ~7) && b < FrameState.StackSize; b += 8)
            if (frame.Stack[b] == StackByte.Spill)
                for (int k = b; k < b + 8; k++)
                    frame.Stack[k] = StackByte.Misc;
        if (fixedSlot)
        {
            int slot = FrameState.SlotOf(start - FrameState.StackSize);
            bool zero = value.IsScalar && value.IsConst && value.Var.Value == 0;
            for (int k = start; k < end; k++)
                frame.Stack[k] = StackByte.Spill;
            frame.Spilled[slot] = zero ? RegState.Const(0) : value;
            return;
        }
        var fill = ptr.IsConst && value.IsScalar && value.IsConst && value.Var.Value == 0 ? StackByte.Zero : StackByte.Misc;
        for (int k = start; k < end; k++)
            frame.Stack[k] = fill;
    }

    private RegState StackRead(FrameState frame, int start, int size, bool signExtend)
    {
        if (frame.Stack[start] == StackByte.Spill)
        {
            var spilled = frame.Spilled[FrameState.SlotOf(start - FrameState.StackSize)];
            if (size == 8 && start % 8 == 0)
                return spilled;
            if (spilled.IsPointer)
                throw Fail("invalid size of register fill");
            if (start % 8 == 0 && spilled.IsConst)
            {
                var narrow = RegState.Const(spilled.Var.Value & (size == 8 ? ulong.MaxValue : (1UL << (size * 8)) - 1));
                return signExtend ? ScalarMath.SignExtend(narrow, size * 8) : narrow;
            }
            return ScalarMath.Loaded(size, signExtend);
        }
        bool allZero = true;
        for (int k = start; k < start + size; k++)
        {
            if (frame.Stack[k] == StackByte.Spill && frame.Spilled[FrameState.SlotOf(k - FrameState.StackSize)].IsPointer)
                throw Fail("invalid size of register fill");
            allZero &= frame.Stack[k] == StackByte.Zero
                || (frame.Stack[k] == StackByte.Spill && frame.Spilled[FrameState.SlotOf(k - FrameState.StackSize)] is { IsConst: true, Var.Value: 0 });
        }
        return allZero ? RegState.Const(0) : ScalarMath.Loaded(size, signExtend);
    }
}
