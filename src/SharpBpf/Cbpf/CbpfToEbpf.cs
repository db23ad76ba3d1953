using SharpBpf.Isa;

namespace SharpBpf.Cbpf;

/// <summary>
/// Translates classic BPF into an eBPF socket filter (BPF_PROG_TYPE_SOCKET_FILTER) that the kernel verifier,
/// the VM and its JIT accept, as the kernel's own conversion does for SO_ATTACH_FILTER: A is r0, X is r7, the
/// context r6, a temporary r8, the sixteen scratch words on the stack; packet loads are LD_ABS/LD_IND (which
/// end the program with 0 past the packet); comparisons are 32-bit (jmp32); a division by X = 0 returns 0.
/// Ancillary loads read <c>__sk_buff</c> fields or call helpers; ones with no eBPF equivalent are refused.
/// </summary>
public static class CbpfToEbpf
{
    private const byte A = 0, Ctx = 6, X = 7, Tmp = 8, Fp = 10;
    private const int HelperPrandom = 7, HelperSmpProcessorId = 8;

    public static Instruction[] Convert(IReadOnlyList<CbpfInstruction> program)
    {
        ArgumentNullException.ThrowIfNull(program);
        CbpfValidator.Validate([.. program]);
        var prologue = new List<Instruction> { Mov64Reg(Ctx, 1), Mov32Imm(A, 0), Mov32Imm(X, 0) };
        for (var slot = 0; slot < Cbpf.MemWords / 2; slot++)
            prologue.Add(new Instruction(0x7a, Fp, 0, (short)(-64 + 8 * slot), 0)); // stdw [r10-64+8i], 0
        var bodies = program.Select((insn, pc) => Translate(insn, pc)).ToList();
        var starts = new int[program.Count + 1];
        starts[0] = prologue.Count;
        for (var i = 0; i < program.Count; i++)
            starts[i + 1] = starts[i] + bodies[i].Count;
        var output = new List<Instruction>(prologue);
        for (var pc = 0; pc < program.Count; pc++)
        {
            foreach (var (insn, target) in bodies[pc])
            {
                if (target is null)
                {
                    output.Add(insn);
                    continue;
                }
                // target: the classic index the jump goes to; the offset counts from the next eBPF instruction
                var offset = starts[target.Value] - (output.Count + 1);
                output.Add(insn.WithOffset(checked((short)offset)));
            }
        }
        return [.. output];
    }

    private static Instruction Mov64Reg(byte dst, byte src) => new(0xbf, dst, src, 0, 0);
    private static Instruction Alu32Reg(byte op, byte dst, byte src) => new((byte)(0x0c | op), dst, src, 0, 0);
    private static Instruction Alu32Imm(byte op, byte dst, uint imm) => new((byte)(0x04 | op), dst, 0, 0, unchecked((int)imm));
    private static Instruction Mov32Imm(byte dst, uint imm) => Alu32Imm(0xb0, dst, imm);
    private static Instruction Mov32Reg(byte dst, byte src) => Alu32Reg(0xb0, dst, src);
    private static Instruction LoadCtx(byte dst, short offset) => new(0x61, dst, Ctx, offset, 0);
    private static short Slot(uint k) => (short)(-64 + 4 * (int)k);
    private static readonly Instruction Exit = new(0x95, 0, 0, 0, 0);

    private static List<(Instruction Insn, int? Target)> Translate(CbpfInstruction insn, int pc)
    {
        var k = insn.K;
        var code = insn.Code;
        var list = new List<(Instruction, int?)>();
        void Emit(Instruction i) => list.Add((i, null));
        switch (Cbpf.Class(code))
        {
            case Cbpf.Ld:
                switch (Cbpf.Mode(code))
                {
                    case Cbpf.Abs when k >= Cbpf.AncillaryBase:
                        Ancillary(k - Cbpf.AncillaryBase, Emit);
                        break;
                    case Cbpf.Abs:
                        Emit(new Instruction((byte)code, 0, 0, 0, unchecked((int)k)));
                        break;
                    case Cbpf.Ind:
                        Emit(new Instruction((byte)code, 0, X, 0, unchecked((int)k)));
                        break;
                    case Cbpf.Len:
                        Emit(LoadCtx(A, 0));
                        break;
                    case Cbpf.Imm:
                        Emit(Mov32Imm(A, k));
                        break;
                    case Cbpf.Mem:
                        Emit(new Instruction(0x61, A, Fp, Slot(k), 0));
                        break;
                }
                break;
            case Cbpf.Ldx:
                switch (Cbpf.Mode(code))
                {
                    case Cbpf.Imm: Emit(Mov32Imm(X, k)); break;
                    case Cbpf.Len: Emit(LoadCtx(X, 0)); break;
                    case Cbpf.Mem: Emit(new Instruction(0x61, X, Fp, Slot(k), 0)); break;
                    case Cbpf.Msh:
                        Emit(Mov64Reg(Tmp, A));
                        Emit(new Instruction(0x30, 0, 0, 0, unchecked((int)k)));
                        Emit(Alu32Imm(0x50, A, 0xf));
                        Emit(Alu32Imm(0x60, A, 2));
                        Emit(Mov32Reg(X, A));
                        Emit(Mov64Reg(A, Tmp));
                        break;
                }
                break;
            case Cbpf.St:
                Emit(new Instruction(0x63, Fp, A, Slot(k), 0));
                break;
            case Cbpf.Stx:
                Emit(new Instruction(0x63, Fp, X, Slot(k), 0));
                break;
            case Cbpf.Alu:
            {
                var op = (byte)Cbpf.Op(code);
                if (op == Cbpf.Neg)
                {
                    Emit(new Instruction(0x84, A, 0, 0, 0));
                }
                else if (Cbpf.Src(code) == Cbpf.X)
                {
                    if (op is Cbpf.Div or Cbpf.Mod)
                    {
                        Emit(new Instruction(0x56, X, 0, 2, 0)); // jne32 x, 0, +2
                        Emit(Mov32Imm(A, 0));
                        Emit(Exit);
                    }
                    Emit(Alu32Reg(op, A, X));
                }
                else
                {
                    Emit(Alu32Imm(op, A, k));
                }
                break;
            }
            case Cbpf.Jmp:
            {
                var next = pc + 1;
                if (Cbpf.Op(code) == Cbpf.Ja)
                {
                    list.Add((new Instruction(0x05, 0, 0, 0, 0), next + (int)k));
                    break;
                }
                var jmp32 = (byte)(0x06 | Cbpf.Op(code) | Cbpf.Src(code));
                var condition = Cbpf.Src(code) == Cbpf.X ? new Instruction(jmp32, A, X, 0, 0) : new Instruction(jmp32, A, 0, 0, unchecked((int)k));
                list.Add((condition, next + insn.Jt));
                if (insn.Jf != 0)
                    list.Add((new Instruction(0x05, 0, 0, 0, 0), next + insn.Jf));
                break;
            }
            case Cbpf.Ret:
                if (Cbpf.RVal(code) == Cbpf.K)
                    Emit(Mov32Imm(A, k));
                else if (Cbpf.RVal(code) == Cbpf.X)
                    Emit(Mov32Reg(A, X));
                Emit(Exit);
                break;
            case Cbpf.Misc:
                Emit(Cbpf.MiscOp(code) == Cbpf.Tax ? Mov32Reg(X, A) : Mov32Reg(A, X));
                break;
        }
        return list;
    }

    /// <summary>SKF_AD_* as <c>__sk_buff</c> reads (offsets from linux/bpf.h) or helper calls.</summary>
    private static void Ancillary(uint which, Action<Instruction> emit)
    {
        switch (which)
        {
            case Cbpf.AdProtocol:
                emit(LoadCtx(A, 16));
                emit(new Instruction(0xdc, A, 0, 0, 16)); // be16: skb->protocol is big-endian
                break;
            case Cbpf.AdPktType: emit(LoadCtx(A, 4)); break;
            case Cbpf.AdIfIndex: emit(LoadCtx(A, 40)); break;
            case Cbpf.AdMark: emit(LoadCtx(A, 8)); break;
            case Cbpf.AdQueue: emit(LoadCtx(A, 12)); break;
            case Cbpf.AdVlanTagPresent: emit(LoadCtx(A, 20)); break;
            case Cbpf.AdVlanTag: emit(LoadCtx(A, 24)); break;
            case Cbpf.AdVlanTpid:
                emit(LoadCtx(A, 28));
                emit(new Instruction(0xdc, A, 0, 0, 16));
                break;
            case Cbpf.AdRxHash: emit(LoadCtx(A, 68)); break;
            case Cbpf.AdCpu: emit(new Instruction(0x85, 0, 0, 0, HelperSmpProcessorId)); break;
            case Cbpf.AdRandom: emit(new Instruction(0x85, 0, 0, 0, HelperPrandom)); break;
            case Cbpf.AdAluXorX: emit(Alu32Reg(0xa0, A, X)); break;
            default:
                throw new CbpfException($"ancillary load SKF_AD_OFF+{which} has no eBPF socket-filter equivalent");
        }
    }
}
