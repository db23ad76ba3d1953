using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using SharpBpf.Isa;

namespace SharpBpf.Vm.Jit;

/// <summary>
/// Emits the IL of one program, instruction by instruction in pc order (so a block falls through to the next).
/// The budget is charged as the interpreter charges it: by taken backward jumps, with the length of the loop they close.
/// Arguments: 0 closure, 1 cx, 2 register array, 3 entry pc, 4 depth, 5 base depth (see <see cref="JitEntry"/>).
/// Memory accesses check inline: the cached region, then the stack. The caches (one for reads, one for writes) start on
/// the packet (or raw memory), or on the map value a lookup helper just returned; they are reset after every helper call
/// since helpers may move the packet or free memory, and a slow-path hit moves them to the region it found. Only a miss
/// calls the interpreter's full check. Accesses through r10 (or a register known to be r10 + k) at offsets inside the frame
/// are not checked at all. Loads of ctx->data/data_end/data_meta read the run state directly (as the kernel rewrites
/// them) while the run uses the context the code was compiled for; atomic adds to cached memory are inline.
/// For speed, no eBPF register, budget or cache value is live across a call: RyuJIT can then keep them all in registers.
/// </summary>
[System.Diagnostics.CodeAnalysis.RequiresDynamicCode(JitCompiler.NeedsDynamicCode)]
internal sealed unsafe partial class JitEmitter
{
    private const int ArgClosure = 0, ArgCx = 1, ArgRegs = 2, ArgPc = 3, ArgDepth = 4, ArgBaseDepth = 5;
    private const int FrameSize = VmCallContext.FrameSize;

    private static readonly FieldInfo CxCurrentCode = CxField(nameof(VmCallContext.CurrentCode));
    private static readonly FieldInfo CxCurrentPc = CxField(nameof(VmCallContext.CurrentPc));
    private static readonly FieldInfo CxCurrentDepth = CxField(nameof(VmCallContext.CurrentDepth));
    private static readonly FieldInfo CxBudget = CxField(nameof(VmCallContext.Budget));
    private static readonly FieldInfo CxStack = CxField(nameof(VmCallContext.Stack));
    private static readonly FieldInfo CxFrames = CxField(nameof(VmCallContext.Frames));
    private static readonly FieldInfo CxReadLo = CxField(nameof(VmCallContext.JitReadLo));
    private static readonly FieldInfo[] CxReadMax = [.. new[] { "1", "2", "4", "8" }.Select(n => CxField("JitReadMax" + n))];
    private static readonly FieldInfo CxWriteLo = CxField(nameof(VmCallContext.JitWriteLo));
    private static readonly FieldInfo[] CxWriteMax = [.. new[] { "1", "2", "4", "8" }.Select(n => CxField("JitWriteMax" + n))];
    private static readonly FieldInfo CxNextCode = CxField(nameof(VmCallContext.JitNextCode));
    private static readonly FieldInfo CxNextPc = CxField(nameof(VmCallContext.JitNextPc));
    private static readonly FieldInfo CxNextDepth = CxField(nameof(VmCallContext.JitNextDepth));
    private static readonly FieldInfo ClosureCode = typeof(JitClosure).GetField(nameof(JitClosure.Code))!;
    private static readonly FieldInfo CxCtxBuffer = CxField(nameof(VmCallContext.CtxBuffer));
    private static readonly FieldInfo CxContext = CxField(nameof(VmCallContext.Context));
    private static readonly FieldInfo CxData = CxField(nameof(VmCallContext.Data));
    private static readonly FieldInfo CxDataEnd = CxField(nameof(VmCallContext.DataEnd));
    private static readonly FieldInfo CxDataMeta = CxField(nameof(VmCallContext.DataMeta));
    private static readonly FieldInfo CxHasPacket = CxField(nameof(VmCallContext.HasPacket));
    private static readonly MethodInfo InterlockedAdd32 =
        typeof(Interlocked).GetMethod(nameof(Interlocked.Add), [typeof(int).MakeByRefType(), typeof(int)])!;
    private static readonly MethodInfo InterlockedAdd64 =
        typeof(Interlocked).GetMethod(nameof(Interlocked.Add), [typeof(long).MakeByRefType(), typeof(long)])!;
    private static readonly FieldInfo ClosureTargets = typeof(JitClosure).GetField(nameof(JitClosure.Targets))!;
    private static readonly FieldInfo FrameCode = typeof(VmCallContext.Frame).GetField(nameof(VmCallContext.Frame.Code))!;
    private static readonly FieldInfo FrameReturnPc = typeof(VmCallContext.Frame).GetField(nameof(VmCallContext.Frame.ReturnPc))!;
    private static readonly FieldInfo[] FrameRegs =
        [.. new[] { "R6", "R7", "R8", "R9", "R10" }.Select(n => typeof(VmCallContext.Frame).GetField(n)!)];
    private static readonly MethodInfo HelperInvoke = typeof(VmHelper).GetMethod(nameof(VmHelper.Invoke))!;
    private static readonly MethodInfo UnsafeAs = typeof(Unsafe).GetMethods()
        .Single(m => m.Name == nameof(Unsafe.As) && m.GetGenericArguments().Length == 1);

    private static FieldInfo CxField(string name) =>
        typeof(VmCallContext).GetField(name, BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
        ?? throw new MissingFieldException(nameof(VmCallContext), name);

    private static readonly Dictionary<string, MethodInfo> RuntimeMethods =
        typeof(JitRuntime).GetMethods(BindingFlags.Public | BindingFlags.Static).ToDictionary(m => m.Name);
    private static readonly MethodInfo IsFunction = typeof(VmHandles).GetMethod(nameof(VmHandles.IsFunction))!;
    private static readonly MethodInfo FunctionPc = typeof(VmHandles).GetMethod(nameof(VmHandles.FunctionPc))!;

    private static MethodInfo Rt(string name) => RuntimeMethods[name];

    private readonly VmCode _code;
    private readonly JitBlocks _blocks;
    private readonly JitPacketProofs? _proofs;
    private readonly JitHelperCalls _helpers;
    private readonly ILGenerator _il;
    private readonly int _n;
    /// <summary>The context the program type runs with (its packet pointer fields are read inline), and the static field
    /// holding it (a constant to RyuJIT, so the guard needs no closure register).</summary>
    private readonly Contexts.VmContext _context;
    private readonly FieldInfo? _contextField;

    private readonly LocalBuilder[] _r = new LocalBuilder[11];
    private LocalBuilder _budget = null!, _depth = null!, _addr = null!, _tmpPc = null!, _status = null!;
    private LocalBuilder _frame = null!, _next = null!, _value = null!, _popDepth = null!;
    private readonly Label[] _blockLabel;
    private Label _interpret, _done, _continue, _exitCommon, _pop;

    /// <summary>Registers known to hold r10 + offset within the current block.</summary>
    private readonly long?[] _fp = new long?[11];
    /// <summary>Registers whose local may differ from the register array (only the start block begins with none).</summary>
    private readonly bool[] _dirty = new bool[11];

    public JitEmitter(VmCode code, JitBlocks blocks, JitHelperCalls helpers, ILGenerator il)
    {
        _code = code;
        _blocks = blocks;
        _helpers = helpers;
        _il = il;
        _n = code.Source.Length;
        _context = Contexts.VmContexts.For(code.Type);
        _contextField = _context.GetType().GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .FirstOrDefault(f => f.IsInitOnly && ReferenceEquals(f.GetValue(null), _context));
        _blockLabel = new Label[_n + 1];
        PlanVerifiedAccesses();
        // the verifier's facts subsume the JIT's own packet proofs (and need no guard at every comparison)
        _proofs = _contextField is null || _facts is not null ? null : new JitPacketProofs(code, blocks, _context);
    }

    public void Emit()
    {
        DeclareLocals();
        for (int pc = 0; pc <= _n; pc++)
            if (_blocks.Leader[pc])
                _blockLabel[pc] = _il.DefineLabel();
        _interpret = _il.DefineLabel();
        _done = _il.DefineLabel();
        _continue = _il.DefineLabel();
        _exitCommon = _il.DefineLabel();
        _pop = _il.DefineLabel();

        EmitPrologue();
        for (int pc = 0; pc < _n; pc++)
        {
            if (_blocks.Leader[pc])
                StartBlock(pc);
            EmitInstruction(pc);
            if (_code.Source[pc].Info.Shape == InstructionShape.LoadImm64)
                pc++;
        }
        StartBlock(_n);
        EmitFault(_n, "execution fell off the end of the program (or into the second half of an ld_imm64)");
        EmitEpilogues();
    }

    private void DeclareLocals()
    {
        for (int i = 0; i < 11; i++)
            _r[i] = _il.DeclareLocal(typeof(ulong));
        _budget = _il.DeclareLocal(typeof(long));
        _depth = _il.DeclareLocal(typeof(int));
        _addr = _il.DeclareLocal(typeof(ulong));
        _tmpPc = _il.DeclareLocal(typeof(int));
        _status = _il.DeclareLocal(typeof(int));
        _frame = _il.DeclareLocal(typeof(VmCallContext.Frame).MakeByRefType());
        _next = _il.DeclareLocal(typeof(VmCode));
        _value = _il.DeclareLocal(typeof(ulong));
        _popDepth = _il.DeclareLocal(typeof(int));
    }

    // ---- prologue, block starts, epilogues ----------------------------------------------------------------------

    private void EmitPrologue()
    {
        // cx.CurrentCode = this code, without the write barrier when it already is (the common case)
        var same = _il.DefineLabel();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, CxCurrentCode);
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldfld, ClosureCode);
        _il.Emit(OpCodes.Beq, same);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldfld, ClosureCode);
        _il.Emit(OpCodes.Stfld, CxCurrentCode);
        _il.MarkLabel(same);
        EmitVerifiedContextGuard();
        if (_blocks.Entries.Length == 1)
        {
            // the common case: dispatch before loading anything, so the hand-over path keeps nothing live across its calls
            var start = _il.DefineLabel();
            _il.Emit(OpCodes.Ldarg_3);
            _il.Emit(OpCodes.Brfalse, start);
            EmitInterpretFromEntryPc();
            _il.MarkLabel(start);
        }
        ResetCaches();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, CxBudget);
        _il.Emit(OpCodes.Stloc, _budget);
        if (_blocks.HasLocalCalls)
        {
            _il.Emit(OpCodes.Ldarg_S, (byte)ArgDepth);
            _il.Emit(OpCodes.Stloc, _depth);
        }
        else
        {
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldarg_S, (byte)ArgDepth);
            _il.Emit(OpCodes.Stfld, CxCurrentDepth);
        }
        for (int i = 0; i < 11; i++)
        {
            if (!_blocks.Touched[i])
                continue;
            _il.Emit(OpCodes.Ldarg_2);
            if (i > 0)
            {
                _il.Emit(OpCodes.Ldc_I4, i * 8);
                _il.Emit(OpCodes.Add);
            }
            _il.Emit(OpCodes.Ldind_I8);
            _il.Emit(OpCodes.Stloc, _r[i]);
        }
        if (_blocks.Entries.Length == 1)
        {
            _il.Emit(OpCodes.Br, _blockLabel[0]);
            return;
        }
        _il.Emit(OpCodes.Ldarg_3);
        _il.Emit(OpCodes.Stloc, _tmpPc);
        EmitDispatch(_blocks.Entries, _interpret);
    }

    /// <summary>Jumps to the block of the pc in _tmpPc when it is one of <paramref name="targets"/>, else to <paramref name="otherwise"/>.</summary>
    private void EmitDispatch(int[] targets, Label otherwise)
    {
        if (targets.Length == 0)
        {
            _il.Emit(OpCodes.Br, otherwise);
            return;
        }
        int min = targets[0], max = targets[^1];
        if (targets.Length > 4 && max - min < 4 * targets.Length + 64)
        {
            var table = new Label[max - min + 1];
            Array.Fill(table, otherwise);
            foreach (int t in targets)
                table[t - min] = _blockLabel[t];
            _il.Emit(OpCodes.Ldloc, _tmpPc);
            _il.Emit(OpCodes.Ldc_I4, min);
            _il.Emit(OpCodes.Sub);
            _il.Emit(OpCodes.Switch, table);
            _il.Emit(OpCodes.Br, otherwise);
            return;
        }
        foreach (int t in targets)
        {
            _il.Emit(OpCodes.Ldloc, _tmpPc);
            _il.Emit(OpCodes.Ldc_I4, t);
            _il.Emit(OpCodes.Beq, _blockLabel[t]);
        }
        _il.Emit(OpCodes.Br, otherwise);
    }

    private void StartBlock(int pc)
    {
        _il.MarkLabel(_blockLabel[pc]);
        Array.Clear(_fp);
        _fp[10] = 0;
        for (int i = 0; i < 11; i++)
            _dirty[i] = _blocks.Written[i] && !(pc == 0 && _blocks.StartIsEntryOnly);
    }

    /// <summary>Branches to the jump target of <paramref name="pc"/>; a backward jump first charges the loop it closes.</summary>
    private void EmitTakenJump(int pc, int target)
    {
        if (target > pc)
        {
            _il.Emit(OpCodes.Br, _blockLabel[target]);
            return;
        }
        _il.Emit(OpCodes.Ldloc, _budget);
        _il.Emit(OpCodes.Ldc_I8, (long)(pc - target + 1));
        _il.Emit(OpCodes.Sub);
        _il.Emit(OpCodes.Stloc, _budget);
        _il.Emit(OpCodes.Ldloc, _budget);
        _il.Emit(OpCodes.Ldc_I8, 0L);
        _il.Emit(OpCodes.Bge, _blockLabel[target]);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, pc);
        _il.Emit(OpCodes.Call, Rt(nameof(JitRuntime.BudgetExhausted)));
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Ret);
    }

    private void EmitEpilogues()
    {
        // Every way out writes the registers back before it calls anything (the write barrier of a JitNextCode store), so no
        // eBPF register is live across a call there either.
        // Exit below the base depth: pop the frame; return into this code or hand over to the program that pushed it.
        _il.MarkLabel(_pop);
        LdDepth();
        _il.Emit(OpCodes.Ldc_I4_1);
        _il.Emit(OpCodes.Sub);
        _il.Emit(OpCodes.Stloc, _popDepth);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, CxFrames);
        _il.Emit(OpCodes.Ldloc, _popDepth);
        _il.Emit(OpCodes.Ldelema, typeof(VmCallContext.Frame));
        _il.Emit(OpCodes.Stloc, _frame);
        _il.Emit(OpCodes.Ldloc, _frame);
        _il.Emit(OpCodes.Ldfld, FrameReturnPc);
        _il.Emit(OpCodes.Stloc, _tmpPc);
        _il.Emit(OpCodes.Ldloc, _frame);
        _il.Emit(OpCodes.Ldfld, FrameCode);
        _il.Emit(OpCodes.Stloc, _next);
        if (_blocks.HasLocalCalls)
        {
            _il.Emit(OpCodes.Ldloc, _popDepth);
            _il.Emit(OpCodes.Stloc, _depth);
            for (int i = 0; i < 5; i++)
            {
                _il.Emit(OpCodes.Ldloc, _frame);
                _il.Emit(OpCodes.Ldfld, FrameRegs[i]);
                _il.Emit(OpCodes.Stloc, _r[6 + i]);
            }
            var foreign = _il.DefineLabel();
            _il.Emit(OpCodes.Ldloc, _next);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldfld, CxCurrentCode); // this code: set on entry, restored by every callback
            _il.Emit(OpCodes.Bne_Un, foreign);
            EmitDispatch(_blocks.ReturnSites, _interpret);
            _il.MarkLabel(foreign);
            _il.Emit(OpCodes.Ldc_I4, JitProgram.Continue);
            _il.Emit(OpCodes.Stloc, _status);
            _il.Emit(OpCodes.Br, _exitCommon);
        }
        else
        {
            // only another program's frame can be popped here: write back, then restore its r6-r10 into the register
            // array it continues from
            EmitWriteBack();
            for (int i = 0; i < 5; i++)
            {
                _il.Emit(OpCodes.Ldarg_2);
                _il.Emit(OpCodes.Ldc_I4, (6 + i) * 8);
                _il.Emit(OpCodes.Add);
                _il.Emit(OpCodes.Ldloc, _frame);
                _il.Emit(OpCodes.Ldfld, FrameRegs[i]);
                _il.Emit(OpCodes.Stind_I8);
            }
            _il.Emit(OpCodes.Ldc_I4, JitProgram.Continue);
            _il.Emit(OpCodes.Stloc, _status);
            EmitHandOver();
        }

        // The interpreter takes over this code at _tmpPc.
        _il.MarkLabel(_interpret);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, CxCurrentCode); // this code: set on entry, restored by every callback
        _il.Emit(OpCodes.Stloc, _next);
        LdDepth();
        _il.Emit(OpCodes.Stloc, _popDepth);
        _il.Emit(OpCodes.Ldc_I4, JitProgram.Interpret);
        _il.Emit(OpCodes.Stloc, _status);
        _il.Emit(OpCodes.Br, _exitCommon);

        // A tail call: _next at pc 0 in the current frame.
        _il.MarkLabel(_continue);
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Stloc, _tmpPc);
        LdDepth();
        _il.Emit(OpCodes.Stloc, _popDepth);
        _il.Emit(OpCodes.Ldc_I4, JitProgram.Continue);
        _il.Emit(OpCodes.Stloc, _status);
        _il.Emit(OpCodes.Br, _exitCommon);

        _il.MarkLabel(_done);
        EmitWriteBack(onlyR0: true); // the run (or callback) ends: its caller reads r0 alone
        _il.Emit(OpCodes.Ldc_I4, JitProgram.Done);
        _il.Emit(OpCodes.Ret);

        _il.MarkLabel(_exitCommon);
        EmitWriteBack();
        EmitHandOver();
    }

    /// <summary>The registers the code writes back to the register array, the budget back to cx.</summary>
    private void EmitWriteBack(bool onlyR0 = false)
    {
        for (int i = 0; i < (onlyR0 ? 1 : 11); i++)
        {
            if (!_blocks.Written[i])
                continue;
            _il.Emit(OpCodes.Ldarg_2);
            if (i > 0)
            {
                _il.Emit(OpCodes.Ldc_I4, i * 8);
                _il.Emit(OpCodes.Add);
            }
            _il.Emit(OpCodes.Ldloc, _r[i]);
            _il.Emit(OpCodes.Stind_I8);
        }
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldloc, _budget);
        _il.Emit(OpCodes.Stfld, CxBudget);
    }

    /// <summary>Where execution continues (_next at _tmpPc, depth _popDepth) into cx; returns _status.</summary>
    private void EmitHandOver()
    {
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldloc, _next);
        _il.Emit(OpCodes.Stfld, CxNextCode);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldloc, _tmpPc);
        _il.Emit(OpCodes.Stfld, CxNextPc);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldloc, _popDepth);
        _il.Emit(OpCodes.Stfld, CxNextDepth);
        _il.Emit(OpCodes.Ldloc, _status);
        _il.Emit(OpCodes.Ret);
    }

    private void ResetCaches()
    {
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Call, Rt(nameof(JitRuntime.ResetCaches)));
    }

    private void LoadStackLo()
    {
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, CxStack);
        _il.Emit(OpCodes.Conv_U8);
    }

    private void EmitFault(int pc, string reason)
    {
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, pc);
        _il.Emit(OpCodes.Ldstr, reason);
        _il.Emit(OpCodes.Call, Rt(nameof(JitRuntime.Fault)));
        _il.Emit(OpCodes.Ldc_I4_0);
        _il.Emit(OpCodes.Ret);
    }

    // ---- instructions -------------------------------------------------------------------------------------------

    private void EmitInstruction(int pc)
    {
        ref readonly var i = ref _code.Insns[pc];
        if (i.Op == VmInsn.Poisoned) // a CO-RE-poisoned call 0xbad2310: faults naming the unresolved relocation
        {
            EmitFault(pc, _code.InvalidInstructionReason(pc));
            return;
        }
        var info = _code.Source[pc].Info;
        switch (info.Shape)
        {
            case InstructionShape.Alu:
            case InstructionShape.Neg:
                EmitAlu(in i, info);
                TrackAlu(in i);
                break;
            case InstructionShape.Endian:
                Ld(i.Dst);
                EmitEndian(i.Op, (int)i.Imm);
                St(i.Dst);
                _fp[i.Dst] = null;
                break;
            case InstructionShape.CondJump:
                EmitCondJump(pc, in i, info);
                break;
            case InstructionShape.Ja:
                EmitTakenJump(pc, pc + i.Aux);
                break;
            case InstructionShape.Exit:
                LdDepth();
                _il.Emit(OpCodes.Ldarg_S, (byte)ArgBaseDepth);
                _il.Emit(OpCodes.Beq, _done);
                _il.Emit(OpCodes.Br, _pop);
                break;
            case InstructionShape.Call:
                if (i.Src == PseudoSource.Call)
                    EmitLocalCall(pc, pc + i.Aux);
                else if (i.Imm == JitCompiler.TailCallHelper)
                    EmitTailCall(pc);
                else
                    EmitHelperCall(pc, (int)i.Imm);
                break;
            case InstructionShape.Callx:
                EmitCallx(pc, i.Dst);
                break;
            case InstructionShape.LoadImm64:
                _il.Emit(OpCodes.Ldc_I8, i.Imm);
                St(i.Dst);
                _fp[i.Dst] = null;
                break;
            case InstructionShape.LoadPacket:
                EmitLoadPacket(in i);
                break;
            case InstructionShape.Load:
                EmitLoad(pc, in i, info.Width, (i.Op & 0xe0) == (int)OpMode.MemSx);
                _fp[i.Dst] = null;
                break;
            case InstructionShape.StoreImm:
            {
                long imm = i.Imm;
                EmitStore(pc, i.Dst, i.Aux, info.Width, () => _il.Emit(OpCodes.Ldc_I8, imm));
                break;
            }
            case InstructionShape.StoreReg:
            {
                int src = i.Src;
                EmitStore(pc, i.Dst, i.Aux, info.Width, () => Ld(src));
                break;
            }
            case InstructionShape.Atomic:
                EmitAtomic(pc, in i, info.Width);
                _fp[i.Src] = _fp[i.Dst] = _fp[0] = null;
                break;
            default:
                EmitFault(pc, _code.InvalidInstructionReason(pc));
                break;
        }
    }

    /// <summary>
    /// Before a call out of compiled code: the registers it wrote go to the register array (and, for helpers, the budget
    /// and depth to cx, where callbacks use them), and are reloaded after it (<see cref="ReloadAfterCall"/>). No eBPF
    /// register is then live across a call, so RyuJIT can keep them in registers, caller-saved ones included.
    /// </summary>
    private void SpillForCall(bool helper = false)
    {
        for (int i = 0; i < 11; i++)
        {
            if (!_dirty[i])
                continue; // the register array already holds it
            RegSlot(i);
            _il.Emit(OpCodes.Ldloc, _r[i]);
            _il.Emit(OpCodes.Stind_I8);
        }
        // The budget goes to cx across every call (helpers' callbacks charge it) and is reloaded after, so it is never live
        // across a call: RyuJIT can then keep it in any register instead of a stack slot charged through memory in loops.
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldloc, _budget);
        _il.Emit(OpCodes.Stfld, CxBudget);
        if (!helper || !_blocks.HasLocalCalls)
            return; // only helpers use the depth (callbacks); without local calls it stays in cx.CurrentDepth anyway
        _il.Emit(OpCodes.Ldarg_1);
        LdDepth();
        _il.Emit(OpCodes.Stfld, CxCurrentDepth);
    }

    /// <summary>The current frame depth: a local in code with local calls, else the depth it was entered at, kept in
    /// cx.CurrentDepth (set on entry, restored by every callback) so it occupies no register.</summary>
    private void LdDepth()
    {
        if (_blocks.HasLocalCalls)
        {
            _il.Emit(OpCodes.Ldloc, _depth);
        }
        else
        {
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldfld, CxCurrentDepth);
        }
    }

    private void ReloadAfterCall(bool helper = false)
    {
        for (int i = 0; i < 11; i++)
        {
            if (!_blocks.Touched[i])
                continue;
            RegSlot(i);
            _il.Emit(OpCodes.Ldind_I8);
            _il.Emit(OpCodes.Stloc, _r[i]);
        }
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, CxBudget);
        _il.Emit(OpCodes.Stloc, _budget);
        if (!helper)
            return;
        if (_blocks.HasLocalCalls)
        {
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldfld, CxCurrentDepth);
            _il.Emit(OpCodes.Stloc, _depth);
        }
    }

    private void RegSlot(int i)
    {
        _il.Emit(OpCodes.Ldarg_2);
        if (i > 0)
        {
            _il.Emit(OpCodes.Ldc_I4, i * 8);
            _il.Emit(OpCodes.Add);
        }
    }

    private void Ld(int reg) => _il.Emit(OpCodes.Ldloc, _r[reg]);
    private void St(int reg)
    {
        _il.Emit(OpCodes.Stloc, _r[reg]);
        _dirty[reg] = true;
    }

    private void TrackAlu(in VmInsn i)
    {
        long? known = i.Op switch
        {
            0xbf when i.Aux == 0 => _fp[i.Src],
            0x07 => _fp[i.Dst] + i.Imm,
            0x17 => _fp[i.Dst] - i.Imm,
            _ => null,
        };
        _fp[i.Dst] = known is > -(1L << 40) and < (1L << 40) ? known : null;
    }

    private void EmitAlu(in VmInsn i, OpcodeInfo info)
    {
        bool is64 = info.Is64, reg = info.UsesRegisterSource;
        var op = (AluOp)(i.Op & 0xf0);
        int dst = i.Dst, src = i.Src;
        long imm = i.Imm;

        void Operand()
        {
            if (reg)
            {
                Ld(src);
                if (!is64)
                    _il.Emit(OpCodes.Conv_U4);
            }
            else if (is64)
            {
                _il.Emit(OpCodes.Ldc_I8, imm);
            }
            else
            {
                _il.Emit(OpCodes.Ldc_I4, (int)imm);
            }
        }

        void Dst()
        {
            Ld(dst);
            if (!is64)
                _il.Emit(OpCodes.Conv_U4);
        }

        void Result()
        {
            if (!is64)
                _il.Emit(OpCodes.Conv_U8);
            St(dst);
        }

        switch (op)
        {
            case AluOp.Add: Dst(); Operand(); _il.Emit(OpCodes.Add); Result(); return;
            case AluOp.Sub: Dst(); Operand(); _il.Emit(OpCodes.Sub); Result(); return;
            case AluOp.Mul: Dst(); Operand(); _il.Emit(OpCodes.Mul); Result(); return;
            case AluOp.Or: Dst(); Operand(); _il.Emit(OpCodes.Or); Result(); return;
            case AluOp.And: Dst(); Operand(); _il.Emit(OpCodes.And); Result(); return;
            case AluOp.Xor: Dst(); Operand(); _il.Emit(OpCodes.Xor); Result(); return;
            case AluOp.Neg: Dst(); _il.Emit(OpCodes.Neg); Result(); return;
            case AluOp.Lsh: Dst(); ShiftAmount(); _il.Emit(OpCodes.Shl); Result(); return;
            case AluOp.Rsh: Dst(); ShiftAmount(); _il.Emit(OpCodes.Shr_Un); Result(); return;
            case AluOp.Arsh: Dst(); ShiftAmount(); _il.Emit(OpCodes.Shr); Result(); return;
            case AluOp.Mov:
                if (!reg)
                {
                    _il.Emit(OpCodes.Ldc_I8, is64 ? imm : (long)(uint)imm);
                    St(dst);
                    return;
                }
                Ld(src);
                switch (i.Aux)
                {
                    case 8: _il.Emit(OpCodes.Conv_I1); break;
                    case 16: _il.Emit(OpCodes.Conv_I2); break;
                    case 32: _il.Emit(OpCodes.Conv_I4); break;
                    default:
                        if (!is64)
                            _il.Emit(OpCodes.Conv_U4);
                        break;
                }
                if (i.Aux != 0)
                    _il.Emit(is64 ? OpCodes.Conv_I8 : OpCodes.Conv_U8);
                else if (!is64)
                    _il.Emit(OpCodes.Conv_U8);
                St(dst);
                return;
            case AluOp.Div:
            case AluOp.Mod:
                EmitDivMod(op == AluOp.Div, i.Aux != 0, is64, reg, dst, src, imm);
                return;
        }
        throw new InvalidOperationException($"unexpected ALU opcode 0x{i.Op:x2}");

        void ShiftAmount()
        {
            int mask = is64 ? 63 : 31;
            if (reg)
            {
                Ld(src);
                _il.Emit(OpCodes.Conv_I4);
                _il.Emit(OpCodes.Ldc_I4, mask);
                _il.Emit(OpCodes.And);
            }
            else
            {
                _il.Emit(OpCodes.Ldc_I4, (int)(imm & mask));
            }
        }
    }

    private void EmitDivMod(bool div, bool signed, bool is64, bool reg, int dst, int src, long imm)
    {
        if (reg)
        {
            string name = (signed ? "S" : "") + (div ? "Div" : "Mod") + (is64 ? "64" : "32");
            Ld(dst);
            Ld(src);
            _il.Emit(OpCodes.Call, Rt(name));
            St(dst);
            return;
        }
        long divisor = is64 ? imm : signed ? (int)imm : (uint)imm;
        if (divisor == 0)
        {
            // x / 0 = 0; x % 0 = x (32-bit: truncated)
            if (div)
            {
                _il.Emit(OpCodes.Ldc_I8, 0L);
                St(dst);
            }
            else if (!is64)
            {
                Ld(dst);
                _il.Emit(OpCodes.Conv_U4);
                _il.Emit(OpCodes.Conv_U8);
                St(dst);
            }
            return;
        }
        if (signed && divisor == -1)
        {
            if (div)
            {
                Ld(dst);
                if (!is64)
                    _il.Emit(OpCodes.Conv_U4);
                _il.Emit(OpCodes.Neg);
                if (!is64)
                    _il.Emit(OpCodes.Conv_U8);
            }
            else
            {
                _il.Emit(OpCodes.Ldc_I8, 0L);
            }
            St(dst);
            return;
        }
        Ld(dst);
        if (!is64)
            _il.Emit(OpCodes.Conv_U4);
        if (is64)
            _il.Emit(OpCodes.Ldc_I8, imm);
        else
            _il.Emit(OpCodes.Ldc_I4, (int)imm);
        _il.Emit(signed ? (div ? OpCodes.Div : OpCodes.Rem) : (div ? OpCodes.Div_Un : OpCodes.Rem_Un));
        if (!is64)
            _il.Emit(OpCodes.Conv_U8);
        St(dst);
    }

    private void EmitEndian(byte op, int width)
    {
        bool swap = op switch
        {
            0xd7 => true, // bswap
            0xd4 => !BitConverter.IsLittleEndian, // to little endian
            _ => BitConverter.IsLittleEndian, // 0xdc: to big endian
        };
        if (swap)
        {
            _il.Emit(OpCodes.Call, Rt(width switch { 16 => nameof(JitRuntime.Swap16), 32 => nameof(JitRuntime.Swap32), _ => nameof(JitRuntime.Swap64) }));
            return;
        }
        if (width == 16)
        {
            _il.Emit(OpCodes.Conv_U2);
            _il.Emit(OpCodes.Conv_U8);
        }
        else if (width == 32)
        {
            _il.Emit(OpCodes.Conv_U4);
            _il.Emit(OpCodes.Conv_U8);
        }
    }

    private void EmitCondJump(int pc, in VmInsn i, OpcodeInfo info)
    {
        if (_proofs?.GuardAt(pc) is { } guard)
            EmitPacketGuard(pc, guard);
        bool is64 = info.Is64, reg = info.UsesRegisterSource;
        int targetPc = pc + i.Aux;
        var target = targetPc > pc ? _blockLabel[targetPc] : _il.DefineLabel();
        Ld(i.Dst);
        if (!is64)
            _il.Emit(OpCodes.Conv_U4);
        if (reg)
        {
            Ld(i.Src);
            if (!is64)
                _il.Emit(OpCodes.Conv_U4);
        }
        else if (is64)
        {
            _il.Emit(OpCodes.Ldc_I8, i.Imm);
        }
        else
        {
            _il.Emit(OpCodes.Ldc_I4, (int)i.Imm);
        }
        switch ((JmpOp)(i.Op & 0xf0))
        {
            case JmpOp.Jeq: _il.Emit(OpCodes.Beq, target); break;
            case JmpOp.Jne: _il.Emit(OpCodes.Bne_Un, target); break;
            case JmpOp.Jgt: _il.Emit(OpCodes.Bgt_Un, target); break;
            case JmpOp.Jge: _il.Emit(OpCodes.Bge_Un, target); break;
            case JmpOp.Jlt: _il.Emit(OpCodes.Blt_Un, target); break;
            case JmpOp.Jle: _il.Emit(OpCodes.Ble_Un, target); break;
            case JmpOp.Jsgt: _il.Emit(OpCodes.Bgt, target); break;
            case JmpOp.Jsge: _il.Emit(OpCodes.Bge, target); break;
            case JmpOp.Jslt: _il.Emit(OpCodes.Blt, target); break;
            case JmpOp.Jsle: _il.Emit(OpCodes.Ble, target); break;
            case JmpOp.Jset:
                _il.Emit(OpCodes.And);
                _il.Emit(OpCodes.Brtrue, target);
                break;
            default:
                throw new InvalidOperationException($"unexpected jump opcode 0x{i.Op:x2}");
        }
        if (targetPc <= pc)
        {
            var notTaken = _il.DefineLabel();
            _il.Emit(OpCodes.Br, notTaken);
            _il.MarkLabel(target);
            EmitTakenJump(pc, targetPc);
            _il.MarkLabel(notTaken);
        }
    }

    /// <summary>Checks the registers <see cref="JitPacketProofs"/> assumed hold packet pointers (and that the run has a
    /// packet); the interpreter takes over at <paramref name="pc"/> when any does not.</summary>
    private void EmitPacketGuard(int pc, (int Reg, bool End, long Offset)[] guard)
    {
        var fail = _il.DefineLabel();
        var ok = _il.DefineLabel();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, CxHasPacket);
        _il.Emit(OpCodes.Brfalse, fail);
        foreach (var (reg, end, offset) in guard)
        {
            Ld(reg);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldfld, end ? CxDataEnd : CxData);
            _il.Emit(OpCodes.Conv_U8);
            if (!end && offset != 0)
            {
                _il.Emit(OpCodes.Ldc_I8, offset);
                _il.Emit(OpCodes.Add);
            }
            _il.Emit(OpCodes.Bne_Un, fail);
        }
        _il.Emit(OpCodes.Br, ok);
        _il.MarkLabel(fail);
        _il.Emit(OpCodes.Ldc_I4, pc);
        _il.Emit(OpCodes.Stloc, _tmpPc);
        _il.Emit(OpCodes.Br, _interpret);
        _il.MarkLabel(ok);
    }

    // ---- memory -------------------------------------------------------------------------------------------------

    /// <summary>True when [base + off, +size) is provably inside the current frame: base is r10 + k, and k + off lies in [-512, -size].</summary>
    private bool InFrame(int baseReg, int off, int size) =>
        _fp[baseReg] is { } k && k + off >= -FrameSize && k + off + size <= 0;

    private void EmitAddress(int baseReg, int off)
    {
        Ld(baseReg);
        if (off != 0)
        {
            _il.Emit(OpCodes.Ldc_I8, (long)off);
            _il.Emit(OpCodes.Add);
        }
    }

    /// <summary>Branches to <paramref name="direct"/> when _addr (size bytes) is in the cached region (the last one hit;
    /// the stack until then) or in the stack.</summary>
    private void EmitFastCheck(int size, FieldInfo lo, FieldInfo[] max, Label direct)
    {
        BoundsChecks++;
        _il.Emit(OpCodes.Ldloc, _addr);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, lo);
        _il.Emit(OpCodes.Sub);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, max[System.Numerics.BitOperations.Log2((uint)size)]);
        _il.Emit(OpCodes.Ble_Un, direct);
        _il.Emit(OpCodes.Ldloc, _addr);
        LoadStackLo();
        _il.Emit(OpCodes.Sub);
        _il.Emit(OpCodes.Ldc_I8, (long)JitRuntime.StackSize - size);
        _il.Emit(OpCodes.Ble_Un, direct);
    }

    private void EmitLoad(int pc, in VmInsn i, int size, bool signExtend)
    {
        if (InFrame(i.Src, i.Aux, size))
        {
            EmitAddress(i.Src, i.Aux);
            EmitDirectLoad(size, signExtend);
            St(i.Dst);
            return;
        }
        if (_proofs?.IsUnchecked(pc) == true || ProvenInBounds(pc)) // proven by JitPacketProofs or the static verifier
        {
            EmitAddress(i.Src, i.Aux);
            EmitDirectLoad(size, signExtend);
            St(i.Dst);
            return;
        }
        var direct = _il.DefineLabel();
        var done = _il.DefineLabel();
        if (size == 4 && !signExtend && _fp[i.Src] is null && _contextField is not null
            && _context.PacketPointerAt(i.Aux) is var field and not Contexts.VmPacketField.None)
        {
            // ctx->data and the like, when the base is the context of the type compiled for: the packet pointer itself
            // (what the full check's translation returns), without a call
            var notContext = _il.DefineLabel();
            Ld(i.Src);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldfld, CxCtxBuffer);
            _il.Emit(OpCodes.Conv_U8);
            _il.Emit(OpCodes.Bne_Un, notContext);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldfld, CxContext);
            _il.Emit(OpCodes.Ldsfld, _contextField);
            _il.Emit(OpCodes.Bne_Un, notContext);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldfld, field switch
            {
                Contexts.VmPacketField.Data => CxData,
                Contexts.VmPacketField.DataEnd => CxDataEnd,
                _ => CxDataMeta,
            });
            _il.Emit(OpCodes.Conv_U8);
            St(i.Dst);
            _il.Emit(OpCodes.Br, done);
            _il.MarkLabel(notContext);
        }
        EmitAddress(i.Src, i.Aux);
        _il.Emit(OpCodes.Stloc, _addr);
        EmitFastCheck(size, CxReadLo, CxReadMax, direct);
        SpillForCall();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, pc);
        _il.Emit(OpCodes.Ldloc, _addr);
        _il.Emit(OpCodes.Ldc_I4, size);
        _il.Emit(OpCodes.Call, Rt(nameof(JitRuntime.Load)));
        _il.Emit(OpCodes.Stloc, _value);
        ReloadAfterCall();
        _il.Emit(OpCodes.Ldloc, _value);
        if (signExtend)
        {
            _il.Emit(size switch { 1 => OpCodes.Conv_I1, 2 => OpCodes.Conv_I2, _ => OpCodes.Conv_I4 });
            _il.Emit(OpCodes.Conv_I8);
        }
        St(i.Dst);
        _il.Emit(OpCodes.Br, done);
        _il.MarkLabel(direct);
        _il.Emit(OpCodes.Ldloc, _addr);
        EmitDirectLoad(size, signExtend);
        St(i.Dst);
        _il.MarkLabel(done);
    }

    /// <summary>Address on the stack → the value, zero- or sign-extended to 64 bits.</summary>
    private void EmitDirectLoad(int size, bool signExtend)
    {
        _il.Emit(OpCodes.Conv_U);
        if (size > 1)
            _il.Emit(OpCodes.Unaligned, (byte)1);
        switch (size)
        {
            case 1: _il.Emit(signExtend ? OpCodes.Ldind_I1 : OpCodes.Ldind_U1); break;
            case 2: _il.Emit(signExtend ? OpCodes.Ldind_I2 : OpCodes.Ldind_U2); break;
            case 4: _il.Emit(signExtend ? OpCodes.Ldind_I4 : OpCodes.Ldind_U4); break;
            default: _il.Emit(OpCodes.Ldind_I8); return;
        }
        _il.Emit(signExtend ? OpCodes.Conv_I8 : OpCodes.Conv_U8);
    }

    private void EmitStore(int pc, int baseReg, int off, int size, Action value)
    {
        if (InFrame(baseReg, off, size) || ProvenInBounds(pc))
        {
            EmitAddress(baseReg, off);
            _il.Emit(OpCodes.Conv_U);
            value();
            EmitDirectStore(size);
            return;
        }
        var direct = _il.DefineLabel();
        var done = _il.DefineLabel();
        EmitAddress(baseReg, off);
        _il.Emit(OpCodes.Stloc, _addr);
        EmitFastCheck(size, CxWriteLo, CxWriteMax, direct);
        value();
        _il.Emit(OpCodes.Stloc, _value);
        SpillForCall();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, pc);
        _il.Emit(OpCodes.Ldloc, _addr);
        _il.Emit(OpCodes.Ldc_I4, size);
        _il.Emit(OpCodes.Ldloc, _value);
        _il.Emit(OpCodes.Call, Rt(nameof(JitRuntime.Store)));
        ReloadAfterCall();
        _il.Emit(OpCodes.Br, done);
        _il.MarkLabel(direct);
        _il.Emit(OpCodes.Ldloc, _addr);
        _il.Emit(OpCodes.Conv_U);
        value();
        EmitDirectStore(size);
        _il.MarkLabel(done);
    }

    /// <summary>[address (native int), value (int64)] → stored with the access size.</summary>
    private void EmitDirectStore(int size)
    {
        if (size < 8)
            _il.Emit(OpCodes.Conv_U4);
        if (size > 1)
            _il.Emit(OpCodes.Unaligned, (byte)1);
        switch (size)
        {
            case 1: _il.Emit(OpCodes.Stind_I1); break;
            case 2: _il.Emit(OpCodes.Stind_I2); break;
            case 4: _il.Emit(OpCodes.Stind_I4); break;
            default: _il.Emit(OpCodes.Stind_I8); break;
        }
    }

    private void EmitAtomic(int pc, in VmInsn i, int size)
    {
        int op = (int)i.Imm;
        var done = _il.DefineLabel();
        if (op is AtomicOp.Add or (AtomicOp.Add | AtomicOp.Fetch))
        {
            // the common counter update inline when the address is aligned and in the write cache or the stack
            var direct = _il.DefineLabel();
            var slow = _il.DefineLabel();
            EmitAddress(i.Dst, i.Aux);
            _il.Emit(OpCodes.Stloc, _addr);
            _il.Emit(OpCodes.Ldloc, _addr);
            _il.Emit(OpCodes.Ldc_I8, (long)(size - 1));
            _il.Emit(OpCodes.And);
            _il.Emit(OpCodes.Ldc_I8, 0L);
            _il.Emit(OpCodes.Bne_Un, slow);
            EmitFastCheck(size, CxWriteLo, CxWriteMax, direct);
            _il.Emit(OpCodes.Br, slow);
            _il.MarkLabel(direct);
            _il.Emit(OpCodes.Ldloc, _addr);
            _il.Emit(OpCodes.Conv_U);
            Ld(i.Src);
            if (size == 4)
                _il.Emit(OpCodes.Conv_I4);
            _il.Emit(OpCodes.Call, size == 4 ? InterlockedAdd32 : InterlockedAdd64);
            if (op == AtomicOp.Add)
            {
                _il.Emit(OpCodes.Pop);
            }
            else
            {
                // the old value: new - src
                Ld(i.Src);
                if (size == 4)
                    _il.Emit(OpCodes.Conv_I4);
                _il.Emit(OpCodes.Sub);
                _il.Emit(size == 4 ? OpCodes.Conv_U4 : OpCodes.Nop);
                _il.Emit(OpCodes.Conv_U8);
                St(i.Src);
            }
            _il.Emit(OpCodes.Br, done);
            _il.MarkLabel(slow);
        }
        SpillForCall();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, pc);
        EmitAddress(op == VmAtomic.LoadAcquire ? i.Src : i.Dst, i.Aux); // load_acquire: dst = *(src + off)
        _il.Emit(OpCodes.Ldc_I4, op);
        Ld(i.Src);
        Ld(0);
        _il.Emit(OpCodes.Call, Rt(size == 4 ? nameof(JitRuntime.Atomic32) : nameof(JitRuntime.Atomic64)));
        _il.Emit(OpCodes.Stloc, _value);
        ReloadAfterCall();
        _il.Emit(OpCodes.Ldloc, _value);
        if (op == VmAtomic.LoadAcquire)
            St(i.Dst);
        else if (op == AtomicOp.CmpXchg)
            St(0);
        else if ((op & AtomicOp.Fetch) != 0)
            St(i.Src);
        else
            _il.Emit(OpCodes.Pop);
        _il.MarkLabel(done);
    }

    private void EmitLoadPacket(in VmInsn i)
    {
        int size = (i.Op & 0x18) switch { 0x00 => 4, 0x08 => 2, _ => 1 };
        var ok = _il.DefineLabel();
        SpillForCall();
        _il.Emit(OpCodes.Ldarg_1);
        if ((i.Op & 0x40) != 0)
        {
            Ld(i.Src);
            _il.Emit(OpCodes.Conv_U4);
            _il.Emit(OpCodes.Ldc_I4, (int)i.Imm);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Conv_I8);
        }
        else
        {
            _il.Emit(OpCodes.Ldc_I8, i.Imm);
        }
        _il.Emit(OpCodes.Ldc_I4, size);
        _il.Emit(OpCodes.Ldloca, _value);
        _il.Emit(OpCodes.Call, Rt(nameof(JitRuntime.LoadPacket)));
        _il.Emit(OpCodes.Stloc, _tmpPc);
        ReloadAfterCall();
        _il.Emit(OpCodes.Ldloc, _tmpPc);
        _il.Emit(OpCodes.Brtrue, ok);
        // Out of bounds: the program ends with r0 = 0.
        _il.Emit(OpCodes.Ldc_I8, 0L);
        St(0);
        _il.Emit(OpCodes.Br, _done);
        _il.MarkLabel(ok);
        _il.Emit(OpCodes.Ldloc, _value);
        St(0);
        _fp[0] = null;
    }

    // ---- calls --------------------------------------------------------------------------------------------------

    private void EmitStackDepthCheck(int pc)
    {
        var ok = _il.DefineLabel();
        _il.Emit(OpCodes.Ldloc, _depth);
        _il.Emit(OpCodes.Ldc_I4, VmCallContext.MaxFrames - 1);
        _il.Emit(OpCodes.Blt, ok);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, pc);
        _il.Emit(OpCodes.Call, Rt(nameof(JitRuntime.StackTooDeep)));
        _il.Emit(OpCodes.Ldc_I4_0); // never reached (it throws): ends the block, so nothing is live across the call
        _il.Emit(OpCodes.Ret);
        _il.MarkLabel(ok);
    }

    /// <summary>Pushes the interpreter's frame (code, return pc, r6–r10), enters the next frame, points r10 at it.</summary>
    private void EmitPushFrame(int returnPc)
    {
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, CxFrames);
        _il.Emit(OpCodes.Ldloc, _depth);
        _il.Emit(OpCodes.Ldelema, typeof(VmCallContext.Frame));
        _il.Emit(OpCodes.Stloc, _frame);
        _il.Emit(OpCodes.Ldloc, _frame);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, CxCurrentCode); // this code: set on entry, restored by every callback
        _il.Emit(OpCodes.Stfld, FrameCode);
        _il.Emit(OpCodes.Ldloc, _frame);
        _il.Emit(OpCodes.Ldc_I4, returnPc);
        _il.Emit(OpCodes.Stfld, FrameReturnPc);
        for (int k = 0; k < 5; k++)
        {
            _il.Emit(OpCodes.Ldloc, _frame);
            Ld(6 + k);
            _il.Emit(OpCodes.Stfld, FrameRegs[k]);
        }
        _il.Emit(OpCodes.Ldloc, _depth);
        _il.Emit(OpCodes.Ldc_I4_1);
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Stloc, _depth);
        LoadStackLo();
        _il.Emit(OpCodes.Ldc_I8, (long)JitRuntime.StackSize);
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Ldloc, _depth);
        _il.Emit(OpCodes.Ldc_I4, FrameSize);
        _il.Emit(OpCodes.Mul);
        _il.Emit(OpCodes.Conv_I8);
        _il.Emit(OpCodes.Sub);
        St(10);
    }

    private void EmitLocalCall(int pc, int target)
    {
        EmitStackDepthCheck(pc);
        EmitPushFrame(pc + 1);
        _il.Emit(OpCodes.Br, _blockLabel[target]);
    }

    private void EmitCallx(int pc, int reg)
    {
        var helper = _il.DefineLabel();
        Ld(reg);
        _il.Emit(OpCodes.Stloc, _addr);
        _il.Emit(OpCodes.Ldloc, _addr);
        _il.Emit(OpCodes.Call, IsFunction);
        _il.Emit(OpCodes.Brfalse, helper);
        _il.Emit(OpCodes.Ldloc, _addr);
        _il.Emit(OpCodes.Call, FunctionPc);
        _il.Emit(OpCodes.Dup);
        _il.Emit(OpCodes.Stloc, _tmpPc);
        _il.Emit(OpCodes.Ldc_I4, _n);
        _il.Emit(OpCodes.Bge, helper);
        EmitStackDepthCheck(pc);
        EmitPushFrame(pc + 1);
        EmitDispatch(_blocks.FunctionTargets, _interpret);

        _il.MarkLabel(helper);
        EmitBeforeHelper(pc);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, CxCurrentCode); // this code: set on entry, restored by every callback
        _il.Emit(OpCodes.Ldc_I4, pc);
        _il.Emit(OpCodes.Ldloc, _addr);
        for (int k = 1; k <= 5; k++)
            Ld(k);
        _il.Emit(OpCodes.Call, Rt(nameof(JitRuntime.CallHelperById)));
        EmitAfterHelper();
    }

    private void EmitBeforeHelper(int pc)
    {
        SpillForCall(helper: true);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, pc);
        _il.Emit(OpCodes.Stfld, CxCurrentPc);
    }

    /// <summary>With the helper's result on the stack: reload, r0 = result, forget the cached regions.</summary>
    private void EmitAfterHelper()
    {
        _il.Emit(OpCodes.Stloc, _value);
        ResetCaches(); // before the reload: no register is then live across this call either
        ReloadAfterCall(helper: true);
        _il.Emit(OpCodes.Ldloc, _value);
        St(0);
    }

    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2060", Justification = "Unsafe.As<T> puts no requirement on T")]
    private void EmitHelperCall(int pc, int id)
    {
        if (id == 1 && TryEmitInlineArrayLookup(pc))
            return;
        EmitBeforeHelper(pc);
        var direct = _helpers.Direct[id];
        if (direct is null)
        {
            _il.Emit(OpCodes.Ldarg_0);
            _il.Emit(OpCodes.Ldfld, ClosureTargets);
            _il.Emit(OpCodes.Ldc_I4, id);
            _il.Emit(OpCodes.Ldelem_Ref);
            _il.Emit(OpCodes.Ldarg_1);
            for (int k = 1; k <= 5; k++)
                Ld(k);
            _il.Emit(OpCodes.Callvirt, HelperInvoke);
        }
        else
        {
            if (!direct.IsStatic)
            {
                _il.Emit(OpCodes.Ldarg_0);
                _il.Emit(OpCodes.Ldfld, ClosureTargets);
                _il.Emit(OpCodes.Ldc_I4, id);
                _il.Emit(OpCodes.Ldelem_Ref);
                _il.Emit(OpCodes.Call, UnsafeAs.MakeGenericMethod(direct.DeclaringType!));
            }
            _il.Emit(OpCodes.Ldarg_1);
            for (int k = 1; k <= 5; k++)
                Ld(k);
            _il.Emit(OpCodes.Call, direct);
        }
        EmitAfterHelper();
    }

    private void EmitTailCall(int pc)
    {
        var failed = _il.DefineLabel();
        SpillForCall();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, pc);
        Ld(2);
        Ld(3);
        _il.Emit(OpCodes.Call, Rt(nameof(JitRuntime.TailCall)));
        _il.Emit(OpCodes.Stloc, _next);
        ReloadAfterCall();
        _il.Emit(OpCodes.Ldloc, _next);
        _il.Emit(OpCodes.Brfalse, failed);
        _il.Emit(OpCodes.Br, _continue);
        _il.MarkLabel(failed); // a failed tail call falls through, as in the kernel
    }

    /// <summary>Hands the run to the interpreter at the pc this call was entered with (arg 3), in the current code and depth.</summary>
    private void EmitInterpretFromEntryPc()
    {
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, CxCurrentCode);
        _il.Emit(OpCodes.Stloc, _next);
        _il.Emit(OpCodes.Ldarg_3);
        _il.Emit(OpCodes.Stloc, _tmpPc);
        _il.Emit(OpCodes.Ldarg_S, (byte)ArgDepth);
        _il.Emit(OpCodes.Stloc, _popDepth);
        _il.Emit(OpCodes.Ldc_I4, JitProgram.Interpret);
        _il.Emit(OpCodes.Stloc, _status);
        EmitHandOver();
    }
}
