using System.Reflection;
using System.Reflection.Emit;
using SharpBpf.Isa;
using SharpBpf.Verifier;

namespace SharpBpf.Vm.Jit;

/// <summary>
/// Loads and stores the static verifier proved in bounds (<see cref="VmCode.Verified"/>) compile to a plain memory access:
/// through the stack or a map value on every path, or through the packet between data and data_end. A packet proof only
/// holds for a run with the program type's own context and packet, so when any access relies on one, the prologue checks
/// that once and hands other runs (raw memory, a tail call from another type, a read-only packet) to the interpreter.
/// Without verification every check stays.
/// </summary>
internal sealed partial class JitEmitter
{
    private static readonly FieldInfo CxPacketWritable = CxField(nameof(VmCallContext.PacketWritable));

    private VerifiedFacts? _facts;
    /// <summary>Some access relies on a packet proof (stores: and on the packet being writable): the prologue's guard.</summary>
    private bool _packetProofsUsed, _packetWritesProven;

    /// <summary>Memory accesses compiled with a bounds check (what a verified program saves is visible here, not in timing).</summary>
    public int BoundsChecks { get; private set; }

    private void PlanVerifiedAccesses()
    {
        _facts = _code.Verified;
        if (_facts is null || _contextField is null)
            return;
        for (int pc = 0; pc < _n; pc++)
        {
            var a = _facts.At(pc);
            if ((a & VerifiedFacts.Access.Packet) == 0 || (a & VerifiedFacts.Access.Other) != 0)
                continue;
            _packetProofsUsed = true;
            _packetWritesProven |= _code.Source[pc].Info.Shape is InstructionShape.StoreImm or InstructionShape.StoreReg;
        }
    }

    /// <summary>The access at <paramref name="pc"/> needs no bounds check.</summary>
    private bool ProvenInBounds(int pc)
    {
        var a = _facts?.At(pc) ?? VerifiedFacts.Access.None;
        if (a == VerifiedFacts.Access.None || (a & VerifiedFacts.Access.Other) != 0)
            return false;
        return (a & VerifiedFacts.Access.Packet) == 0 || _packetProofsUsed;
    }

    /// <summary>In the prologue: runs without the context and packet the packet proofs assume continue in the interpreter.</summary>
    private void EmitVerifiedContextGuard()
    {
        if (!_packetProofsUsed)
            return;
        var trusted = _il.DefineLabel();
        var handOver = _il.DefineLabel();
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, CxContext);
        _il.Emit(OpCodes.Ldsfld, _contextField!);
        _il.Emit(OpCodes.Bne_Un, handOver);
        _il.Emit(OpCodes.Ldarg_1);
        _il.Emit(OpCodes.Ldfld, CxHasPacket);
        _il.Emit(OpCodes.Brfalse, handOver);
        if (_packetWritesProven)
        {
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldfld, CxPacketWritable);
            _il.Emit(OpCodes.Brtrue, trusted);
        }
        else
        {
            _il.Emit(OpCodes.Br, trusted);
        }
        _il.MarkLabel(handOver);
        EmitInterpretFromEntryPc();
        _il.MarkLabel(trusted);
    }
}
