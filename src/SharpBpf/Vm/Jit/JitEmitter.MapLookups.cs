using System.Reflection;
using System.Reflection.Emit;
using SharpBpf.Isa;
using SharpBpf.Vm.Maps;

namespace SharpBpf.Vm.Jit;

/// <summary>
/// bpf_map_lookup_elem on an ARRAY or PERCPU_ARRAY, inlined as the kernel's verifier inlines it: a bounds check on the key and
/// an address computation, no call. It applies when the call's map is known where it is compiled (r1 loaded by
/// <c>ld_imm64</c> earlier in the same block), the key is in the current frame, and the helper is the built-in one. The
/// result is what the helper returns (the element for the engine's CPU, or 0 out of range); on a hit the region caches move
/// to the map's values, as after the helper.
/// </summary>
internal sealed unsafe partial class JitEmitter
{
    private static readonly MethodInfo BuiltinLookup =
        typeof(Helpers.MapHelpers).GetMethod("Lookup", BindingFlags.Static | BindingFlags.NonPublic)!;

    private static readonly MethodInfo ChargeBytes = typeof(VmCallContext).GetMethod(nameof(VmCallContext.ChargeBytes))!;

    private bool TryEmitInlineArrayLookup(int pc)
    {
        if (_code.Helpers.Length <= 1 || _code.Helpers[1]?.Method != BuiltinLookup || !InFrame(2, 0, 4)
            || MapInR1(pc) is not VmArrayMap { KeySize: 4, MaxEntries: > 0 } map || map.Regions is not [var region] || region.Length < 8)
            return false;
        long first = (long)map.ElementAddress(0, _code.Cpu);
        long stride = map.MaxEntries > 1 ? (long)map.ElementAddress(1, _code.Cpu) - first : 0;
        var inRange = _il.DefineLabel();
        var done = _il.DefineLabel();
        // The helper charges reading the key to the budget; so does its inlined form, faulting at this pc as it would.
        // The budget lives in a local between calls (see SpillForCall): hand it to cx for the charge and take it back.
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I4, pc);
        _il.Emit(OpCodes.Stfld, CxCurrentPc);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldloc, _budget);
        _il.Emit(OpCodes.Stfld, CxBudget);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I8, (long)map.KeySize);
        _il.Emit(OpCodes.Call, ChargeBytes);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, CxBudget);
        _il.Emit(OpCodes.Stloc, _budget);
        EmitAddress(2, 0);
        EmitDirectLoad(4, signExtend: false);
        _il.Emit(OpCodes.Stloc, _addr);
        _il.Emit(OpCodes.Ldloc, _addr);
        _il.Emit(OpCodes.Ldc_I8, (long)map.MaxEntries);
        _il.Emit(OpCodes.Blt_Un, inRange);
        _il.Emit(OpCodes.Ldc_I8, 0L);
        St(0);
        _il.Emit(OpCodes.Br, done);
        _il.MarkLabel(inRange);
        _il.Emit(OpCodes.Ldloc, _addr);
        _il.Emit(OpCodes.Ldc_I8, stride);
        _il.Emit(OpCodes.Mul);
        _il.Emit(OpCodes.Ldc_I8, first);
        _il.Emit(OpCodes.Add);
        St(0);
        EmitCacheRegion(region, CxReadLo, CxReadMax);
        if (region.Writable)
            EmitCacheRegion(region, CxWriteLo, CxWriteMax);
        _il.MarkLabel(done);
        _fp[0] = null;
        return true;
    }

    /// <summary>Points a region cache (reads or writes) at <paramref name="region"/>, as <see cref="VmCallContext.ResetJitCaches"/> does.</summary>
    private void EmitCacheRegion(VmRegion region, FieldInfo lo, FieldInfo[] max)
    {
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldc_I8, (long)region.Start);
        _il.Emit(OpCodes.Stfld, lo);
        for (int k = 0; k < 4; k++)
        {
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldc_I8, region.Length - (1L << k));
            _il.Emit(OpCodes.Stfld, max[k]);
        }
    }

    /// <summary>The map r1 holds at <paramref name="pc"/> when an <c>ld_imm64</c> of the same block put it there and nothing
    /// since may have changed r1; null otherwise.</summary>
    private IVmMap? MapInR1(int pc)
    {
        for (int k = pc; k > 0; k--)
        {
            if (_blocks.Leader[k])
                return null;
            ref readonly var i = ref _code.Insns[k - 1];
            if (i.Op == VmInsn.FellOffEnd)
                continue; // the second slot of an ld_imm64
            var shape = _code.Source[k - 1].Info.Shape;
            if (shape == InstructionShape.LoadImm64 && i.Dst == 1)
                return VmHandles.IsMap((ulong)i.Imm) ? _code.MapById(VmHandles.MapId((ulong)i.Imm)) : null;
            if (shape is InstructionShape.Call or InstructionShape.Callx or InstructionShape.LoadPacket or InstructionShape.Atomic
                || (i.Dst == 1 && shape is not (InstructionShape.StoreImm or InstructionShape.StoreReg)))
                return null;
        }
        return null;
    }
}
