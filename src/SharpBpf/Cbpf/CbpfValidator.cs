namespace SharpBpf.Cbpf;

/// <summary>
/// The kernel's checks on a classic program before it attaches (net/core/filter.c bpf_check_classic): known
/// opcodes, jumps inside the program, scratch-memory indices below 16, no division by a constant zero, a
/// return at the end, and scratch memory written before it is read.
/// </summary>
public static class CbpfValidator
{
    public const int MaxInstructions = 4096;

    public static void Validate(ReadOnlySpan<CbpfInstruction> program)
    {
        if (program.Length == 0 || program.Length > MaxInstructions)
            throw new CbpfException($"a classic BPF program has 1 to {MaxInstructions} instructions, not {program.Length}");
        for (var pc = 0; pc < program.Length; pc++)
        {
            var insn = program[pc];
            var code = insn.Code;
            switch (Cbpf.Class(code))
            {
                case Cbpf.Ld or Cbpf.Ldx when Cbpf.Mode(code) == Cbpf.Mem:
                case Cbpf.St or Cbpf.Stx:
                    if (insn.K >= Cbpf.MemWords)
                        throw new CbpfException($"instruction {pc}: scratch memory index {insn.K} is not below {Cbpf.MemWords}");
                    break;
                case Cbpf.Alu when Cbpf.Src(code) == Cbpf.K && insn.K == 0 && Cbpf.Op(code) is Cbpf.Div or Cbpf.Mod:
                    throw new CbpfException($"instruction {pc}: division by constant zero");
                case Cbpf.Jmp when Cbpf.Op(code) == Cbpf.Ja:
                    if (insn.K >= (uint)(program.Length - pc - 1))
                        throw new CbpfException($"instruction {pc}: ja {insn.K} jumps past the end of the program");
                    break;
                case Cbpf.Jmp:
                    if (pc + 1 + Math.Max(insn.Jt, insn.Jf) >= program.Length)
                        throw new CbpfException($"instruction {pc}: a conditional jump lands past the end of the program");
                    break;
            }
            if (CbpfText.Image(insn, pc).Contains("unimp", StringComparison.Ordinal) && code != (Cbpf.Ldx | Cbpf.W | Cbpf.Len))
                throw new CbpfException($"instruction {pc}: unknown classic BPF opcode 0x{code:x}");
        }
        if (Cbpf.Class(program[^1].Code) != Cbpf.Ret)
            throw new CbpfException("a classic BPF program must end with a return");
    }
}
