using SharpBpf.Isa;

namespace SharpBpf.Verifier;

/// <summary>
/// Which registers may still be read before being written, at each instruction (a backward live-variable analysis over
/// each function's control flow). A register dead at a pruning point cannot affect what follows, so states that differ
/// only there are equivalent: the pruning test ignores it, as the kernel's liveness marks let it.
/// Calls count as reading r1-r5 (whatever the callee takes) and writing r0-r5; exits read r0.
/// </summary>
internal static class RegisterLiveness
{
    private const ushort Args = 0b11_1110, CallerSaved = 0b11_1111, R0 = 1;

    /// <summary>Bit r of element i: register r is live on entry to instruction i.</summary>
    public static ushort[] LiveIn(Instruction[] insns)
    {
        int n = insns.Length;
        var use = new ushort[n];
        var def = new ushort[n];
        var next = new int[n];
        var jump = new int[n];
        for (int i = 0; i < n; i++)
        {
            var insn = insns[i];
            var info = insn.Info;
            ushort dst = Bit(insn.Dst), src = Bit(insn.Src);
            next[i] = i + 1;
            jump[i] = -1;
            switch (info.Shape)
            {
                case InstructionShape.Alu:
                    bool mov = (insn.Opcode & 0xf0) == (byte)AluOp.Mov;
                    use[i] = (ushort)((mov ? 0 : dst) | (info.UsesRegisterSource ? src : 0));
                    def[i] = dst;
                    break;
                case InstructionShape.Neg:
                case InstructionShape.Endian:
                    use[i] = dst;
                    def[i] = dst;
                    break;
                case InstructionShape.LoadImm64:
                    def[i] = dst;
                    next[i] = i + 2;
                    break;
                case InstructionShape.Load:
                    use[i] = src;
                    def[i] = dst;
                    break;
                case InstructionShape.StoreImm:
                    use[i] = dst;
                    break;
                case InstructionShape.StoreReg:
                    use[i] = (ushort)(dst | src);
                    break;
                case InstructionShape.Atomic:
                    // also r0 for cmpxchg; nothing counts as written (a conservative answer only keeps more alive)
                    use[i] = (ushort)(dst | src | R0);
                    break;
                case InstructionShape.LoadPacket:
                    use[i] = (ushort)(Bit(6) | src);
                    def[i] = CallerSaved;
                    break;
                case InstructionShape.Ja:
                    next[i] = -1;
                    jump[i] = i + 1 + (insn.Opcode == Opcodes.Ja32 ? insn.Imm : insn.Offset);
                    break;
                case InstructionShape.CondJump:
                    use[i] = (ushort)(dst | (info.UsesRegisterSource ? src : 0));
                    jump[i] = i + 1 + insn.Offset;
                    break;
                case InstructionShape.Call:
                    use[i] = Args;
                    def[i] = CallerSaved;
                    break;
                case InstructionShape.Callx:
                    use[i] = (ushort)(Args | dst);
                    def[i] = CallerSaved;
                    break;
                case InstructionShape.Exit:
                    use[i] = R0;
                    next[i] = -1;
                    break;
                default:
                    use[i] = 0x7ff; // not an instruction the verifier accepts: keep everything
                    break;
            }
        }
        var live = new ushort[n];
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int i = n - 1; i >= 0; i--)
            {
                int after = 0;
                if ((uint)next[i] < (uint)n)
                    after |= live[next[i]];
                if ((uint)jump[i] < (uint)n)
                    after |= live[jump[i]];
                var now = (ushort)(use[i] | (after & ~def[i]));
                if (now != live[i])
                {
                    live[i] = now;
                    changed = true;
                }
            }
        }
        return live;
    }

    private static ushort Bit(byte register) => register <= 10 ? (ushort)(1 << register) : (ushort)0;
}
