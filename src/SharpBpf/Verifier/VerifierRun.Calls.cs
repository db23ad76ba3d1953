using SharpBpf.Isa;

namespace SharpBpf.Verifier;

/// <summary>Helper calls against <see cref="HelperPrototypes"/>, bpf-to-bpf calls and callbacks, returns.</summary>
internal sealed partial class VerifierRun
{
    private const int MaxCallFrames = 8;

    private bool Call(int i, Instruction insn)
    {
        switch (insn.Src)
        {
            case PseudoSource.Call:
                return CallFunction(i, i + insn.Imm + 1, callbackSite: -1, args: null);
            case PseudoSource.KfuncCall:
                // kfuncs are typed by the kernel's BTF, which a static check does not have: r0 is an unknown scalar.
                ClobberCallerSaved();
                _state.Regs[0] = RegState.Unknown;
                _state.Insn = i + 1;
                return true;
            default:
                return CallHelper(i, insn.Imm);
        }
    }

    private void ClobberCallerSaved()
    {
        for (int r = 1; r <= 5; r++)
            _state.Regs[r] = RegState.NotInit;
    }

    private bool CallFunction(int i, int target, int callbackSite, RegState[]? args)
    {
        if (_state.Frames.Count >= MaxCallFrames)
            throw Fail($"the call stack of {_state.Frames.Count + 1} frames is too deep !");
        var caller = _state.Current;
        var callee = new FrameState { ReturnTo = i + 1, FunctionStart = target, CallbackSite = callbackSite };
        for (int r = 1; r <= 5; r++)
            callee.Regs[r] = args is null ? caller.Regs[r] : args[r];
        var fp = RegState.Pointer(RegKind.Stack);
        fp.Frame = _state.Frames.Count;
        callee.Regs[10] = fp;
        if (args is null)
            ClobberCallerSaved();
        _state.Frames.Add(callee);
        _state.Insn = target;
        return true;
    }

    private bool ReturnFromFunction(FrameState frame, RegState r0)
    {
        if (r0.Kind == RegKind.Stack && r0.Frame == _state.Frames.Count - 1)
            throw Fail("cannot return stack pointer to the caller frame");
        int site = frame.CallbackSite;
        if (site >= 0)
        {
            if (!r0.IsScalar || r0.SMin < 0 || r0.SMax > 1 || r0.UMax > 1)
            {
                string has = r0.IsScalar ? r0.IsConst ? $"smin={(long)r0.Var.Value} smax={(long)r0.Var.Value}" : "unknown scalar value" : r0.TypeName;
                throw Fail($"At callback return the register R0 has {has} should have been in [0, 1]");
            }
        }
        _state.Frames.RemoveAt(_state.Frames.Count - 1);
        var caller = _state.Current;
        caller.Regs[0] = site >= 0 ? RegState.Unknown : r0;
        for (int r = 1; r <= 5; r++)
            caller.Regs[r] = RegState.NotInit;
        if (site >= 0 && !frame.Iterated)
        {
            // The callback may run again from what this run left behind: explore one more run with every scalar the
            // caller's stack holds forgotten, which covers all later runs.
            var again = _state.Clone();
            Widen(again);
            again.Frames.Add(frame.EntryCopy!.WithIteratedFlag());
            Fork(again, frame.FunctionStart);
        }
        _state.Insn = frame.ReturnTo;
        return true;
    }

    private static void Widen(VerifierState state)
    {
        foreach (var f in state.Frames)
        {
            for (int b = 0; b < FrameState.StackSize; b++)
                if (f.Stack[b] == StackByte.Zero)
                    f.Stack[b] = StackByte.Misc;
            for (int s = 0; s < FrameState.Slots; s++)
                if (f.Stack[FrameState.StackSize - 8 * (s + 1)] == StackByte.Spill && f.Spilled[s].IsScalar)
                    f.Spilled[s] = RegState.Unknown;
        }
    }

    private bool CallHelper(int i, int id)
    {
        var proto = HelperPrototypes.Get(id);
        string name = BpfHelperNames.Name(id) ?? "";
        if (proto is null)
        {
            if (name.Length == 0 || id <= 0)
                throw Fail($"invalid func unknown#{id}");
            // No prototype: arguments are not checked; the result is unknown.
            ClobberCallerSaved();
            _state.Regs[0] = RegState.Unknown;
            _state.Insn = i + 1;
            return true;
        }
        if (proto.Flags.HasFlag(HelperFlags.GplOnly) && !input.GplCompatible)
            throw Fail("cannot call GPL-restricted function from non-GPL compatible program");
        Objects.MapSpec? map = null;
        int allocSize = 0, callback = -1, releaseRef = 0;
        for (int a = 0; a < proto.Args.Length; a++)
        {
            int r = a + 1;
            var kind = proto.Args[a];
            var reg = Read(r);
            switch (kind)
            {
                case HelperArg.Anything:
                    break;
                case HelperArg.MapPtr:
                    if (reg.Kind != RegKind.MapPtr || reg.MaybeNull)
                        throw Fail($"R{r} type={reg.TypeName} expected=map_ptr");
                    map = reg.Map;
                    if (map is not null && proto.MapTypes.Length > 0 && !proto.MapTypes.Contains(map.Type))
                        throw Fail($"cannot pass map_type {(int)map.Type} into func {proto.Name}#{id}");
                    if (map is not null && proto.MapTypes.Length == 0 && proto.Name.StartsWith("bpf_map_", StringComparison.Ordinal)
                        && map.Type is BpfMapType.Ringbuf or BpfMapType.PerfEventArray or BpfMapType.ProgArray)
                        throw Fail($"cannot pass map_type {(int)map.Type} into func {proto.Name}#{id}");
                    break;
                case HelperArg.MapKey:
                    HelperMemory(r, reg, (ulong)(map ?? throw Fail("invalid map_ptr to access map->key")).KeySize, write: false);
                    break;
                case HelperArg.MapValue:
                    HelperMemory(r, reg, (ulong)(map ?? throw Fail("invalid map_ptr to access map->value")).ValueSize, write: false);
                    break;
                case HelperArg.UninitMapValue:
                    HelperMemory(r, reg, (ulong)(map ?? throw Fail("invalid map_ptr to access map->value")).ValueSize, write: true);
                    break;
                case HelperArg.Mem or HelperArg.MemOrNull or HelperArg.UninitMem:
                    break; // checked with the size that follows
                case HelperArg.ConstSize or HelperArg.ConstSizeOrZero:
                    SizedMemory(r, reg, kind == HelperArg.ConstSizeOrZero, proto.Args[a - 1], Read(r - 1));
                    break;
                case HelperArg.ConstAllocSizeOrZero:
                    if (!reg.IsScalar || !reg.IsConst)
                        throw Fail($"R{r} is not a known constant'");
                    allocSize = (int)reg.Var.Value;
                    break;
                case HelperArg.Ctx:
                    if (reg.Kind != RegKind.Ctx)
                        throw Fail($"R{r} type={reg.TypeName} expected=ctx");
                    if (reg.Off != 0)
                        throw Fail($"dereference of modified ctx ptr R{r} off={reg.Off} disallowed");
                    break;
                case HelperArg.RingbufMemRelease:
                    if (reg.Kind != RegKind.RingbufMem || reg.MaybeNull)
                        throw Fail($"R{r} type={reg.TypeName} expected=ringbuf_mem");
                    if (reg.Off != 0 || !reg.IsConst || reg.Var.Value != 0)
                        throw Fail($"R{r} must have zero offset when passed to release func");
                    if (!_state.References.ContainsKey(reg.RefId))
                        throw Fail($"release kernel object id {reg.RefId} is not acquired");
                    releaseRef = reg.RefId;
                    break;
                case HelperArg.Func:
                    if (reg.Kind != RegKind.Func)
                        throw Fail($"R{r} type={reg.TypeName} expected=func");
                    callback = reg.Size;
                    break;
                case HelperArg.StackOrNull:
                    if (!(reg.Kind is RegKind.Stack or RegKind.MapValue || IsNullConst(reg)))
                        throw Fail($"R{r} type={reg.TypeName} expected=fp");
                    break;
                case HelperArg.ConstString:
                    ConstString(r, reg);
                    break;
                case HelperArg.SpinLock:
                    if (reg.Kind != RegKind.MapValue || reg.MaybeNull)
                        throw Fail($"R{r} type={reg.TypeName} expected=map_value");
                    break;
            }
        }
        var args = (RegState[])_state.Regs.Clone();
        if (releaseRef != 0)
            Release(releaseRef);
        ClobberCallerSaved();
        _state.Regs[0] = ReturnValue(proto, map, allocSize, i);
        if (proto.Returns == HelperReturn.MapValueOrNull && map?.Type is BpfMapType.Array or BpfMapType.PercpuArray
            && KnownStackValue(args[2], 4) is { } key && key < (ulong)map.MaxEntries)
        {
            // An array lookup with a constant key in range cannot fail.
            _state.Regs[0].MaybeNull = false;
            _state.Regs[0].Id = 0;
        }
        if (proto.Flags.HasFlag(HelperFlags.ChangesPacketData))
            foreach (var slot in _state.AllValues())
            {
                ref var r = ref VerifierState.At(slot);
                if (r.Kind is RegKind.Packet or RegKind.PacketMeta or RegKind.PacketEnd)
                    r = RegState.Unknown;
            }
        _state.Insn = i + 1;
        if (callback >= 0)
            return EnterCallback(i, id, callback, args, map);
        return true;
    }

    /// <summary>bpf_loop and bpf_for_each_map_elem: the path where the callback never runs, and the path into it.</summary>
    private bool EnterCallback(int i, int id, int target, RegState[] callerArgs, Objects.MapSpec? map)
    {
        var skip = _state.Clone();
        Fork(skip, i + 1);
        var args = new RegState[6];
        if (BpfHelperNames.Name(id) == "bpf_for_each_map_elem" && map is not null)
        {
            args[1] = callerArgs[1];
            var key = RegState.Pointer(RegKind.MapKey);
            key.Size = map.KeySize;
            args[2] = key;
            var value = RegState.Pointer(RegKind.MapValue);
            value.Map = map;
            args[3] = value;
            args[4] = callerArgs[3];
        }
        else
        {
            args[1] = RegState.UnsignedRange(0, uint.MaxValue);
            args[2] = callerArgs[3];
        }
        _state.Regs[0] = RegState.NotInit;
        CallFunction(i, target, callbackSite: i, args);
        _state.Current.EntryCopy = _state.Current.Clone();
        return true;
    }

    /// <summary>The constant a stack pointer points at, when the stack holds one there.</summary>
    private ulong? KnownStackValue(RegState ptr, int size)
    {
        if (ptr.Kind != RegKind.Stack || !ptr.IsConst)
            return null;
        long at = ptr.Off + (long)ptr.Var.Value;
        if (at < -FrameState.StackSize || at + size > 0 || at % size != 0)
            return null;
        var value = StackRead(_state.Frames[ptr.Frame], (int)(at + FrameState.StackSize), size, false);
        return value.IsScalar && value.IsConst ? value.Var.Value : null;
    }

    private void Release(int refId)
    {
        _state.References.Remove(refId);
        foreach (var slot in _state.AllValues())
        {
            ref var r = ref VerifierState.At(slot);
            if (r.IsPointer && r.RefId == refId)
                r = RegState.Unknown;
        }
    }

    private RegState ReturnValue(HelperPrototype proto, Objects.MapSpec? map, int allocSize, int insn)
    {
        switch (proto.Returns)
        {
            case HelperReturn.Void:
                return RegState.NotInit;
            case HelperReturn.MapValueOrNull or HelperReturn.MapValue:
            {
                bool inner = map?.Type is BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps;
                var r = RegState.Pointer(inner ? RegKind.MapPtr : RegKind.MapValue);
                r.Map = inner ? map!.InnerMap : map;
                if (proto.Returns == HelperReturn.MapValueOrNull)
                {
                    r.MaybeNull = true;
                    r.Id = NewId();
                }
                return r;
            }
            case HelperReturn.RingbufMemOrNull:
            {
                var r = RegState.Pointer(RegKind.RingbufMem);
                r.MaybeNull = true;
                r.Id = NewId();
                r.RefId = r.Id;
                r.Size = allocSize;
                _state.References[r.RefId] = insn;
                return r;
            }
            case HelperReturn.BtfId:
                return RegState.Pointer(RegKind.BtfId);
            default:
                return RegState.Unknown;
        }
    }

    /// <summary>check_mem_size_reg: a size argument and the memory argument before it.</summary>
    private void SizedMemory(int r, RegState size, bool zeroOk, HelperArg memKind, RegState mem)
    {
        if (!size.IsScalar)
            throw Fail($"R{r} type={size.TypeName} expected=scalar");
        if (size.SMin < 0)
            throw Fail($"R{r} min value is negative, either use unsigned or 'var &= const'");
        if (size.UMin == 0 && !zeroOk)
            throw Fail($"R{r} invalid zero-sized read: u64=[{size.UMin},{size.UMax}]");
        if (size.UMax >= 1UL << 29)
            throw Fail($"R{r} unbounded memory access, use 'var &= const' or 'if (var < const)'");
        if (memKind == HelperArg.MemOrNull && IsNullConst(mem))
        {
            if (size.UMax != 0)
                throw Fail($"R{r - 1} type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_");
            return;
        }
        if (size.UMax == 0)
        {
            if (!IsNullConst(mem) && !mem.IsPointer)
                throw Fail($"R{r - 1} type={mem.TypeName} expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_");
            return;
        }
        HelperMemory(r - 1, mem, size.UMax, write: memKind == HelperArg.UninitMem);
    }

    /// <summary>check_helper_mem_access: <paramref name="size"/> bytes at the pointer the helper reads or writes.</summary>
    private void HelperMemory(int r, RegState reg, ulong size, bool write)
    {
        if (reg.MaybeNull || reg.Kind is not (RegKind.Stack or RegKind.Packet or RegKind.PacketMeta or RegKind.MapKey
            or RegKind.MapValue or RegKind.Mem or RegKind.RingbufMem))
            throw Fail($"R{r} type={reg.TypeName} expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_");
        if (reg.Kind == RegKind.Stack)
        {
            StackAccess(r, reg, 0, (int)size, AccessKind.Helper, write ? RegState.Unknown : null, false);
            return;
        }
        Access(r, reg, 0, (int)size, write ? AccessKind.Write : AccessKind.Read, write ? RegState.Unknown : null, false);
    }

    private void ConstString(int r, RegState reg)
    {
        if (reg.Kind != RegKind.MapValue || reg.MaybeNull || reg.Map is not { IsReadOnlyData: true, InitialValue: { } bytes })
            throw Fail($"R{r} does not point to a readonly map'");
        if (!reg.IsConst)
            throw Fail($"R{r} is not a constant address'");
        int at = reg.Off + (int)reg.Var.Value;
        if (at < 0 || at >= bytes.Length)
            throw Fail($"invalid access to map value pointer, value_size={bytes.Length} off={at}");
        if (Array.IndexOf(bytes, (byte)0, at) < 0)
            throw Fail("string is not zero-terminated");
    }
}
