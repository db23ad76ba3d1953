using SharpBpf.Isa;

namespace SharpBpf.Vm.Jit;

/// <summary>
/// The control-flow facts the compiler needs: where basic blocks start (control flow merges there, so the compiler forgets
/// what it knew about registers), where compiled code may be entered from outside (program start, callback targets, callx
/// targets, return sites when another program may return into this one), and where local calls return to.
/// </summary>
internal sealed class JitBlocks
{
    /// <summary>Per pc (and the sentinel pc n): a block starts there.</summary>
    public readonly bool[] Leader;
    /// <summary>pcs where compiled code can start (the entry switch), ascending.</summary>
    public readonly int[] Entries;
    /// <summary>pcs callx may jump to through the dispatch switch: local call targets and function addresses, ascending.</summary>
    public readonly int[] FunctionTargets;
    /// <summary>pcs local calls return to, ascending.</summary>
    public readonly int[] ReturnSites;
    public readonly bool HasLocalCalls;
    public readonly bool HasTailCalls;
    /// <summary>Nothing jumps or calls to pc 0: its block only runs right after entry, with the registers as loaded.</summary>
    public readonly bool StartIsEntryOnly;
    /// <summary>Registers the code reads or writes (loaded on entry), and writes (stored back on return); the others stay
    /// as they are in the register array, which is already right for whoever reads it next.</summary>
    public readonly bool[] Touched = new bool[11], Written = new bool[11];

    public JitBlocks(VmCode code)
    {
        var insns = code.Insns;
        int n = code.Source.Length;
        var leader = Leader = new bool[n + 1];
        var functions = new SortedSet<int>();
        var returns = new SortedSet<int>();
        leader[0] = true;
        bool jumpsToStart = false;
        leader[n] = true;
        for (int pc = 0; pc < n; pc++)
        {
            var insn = code.Source[pc];
            switch (insn.Info.Shape)
            {
                case InstructionShape.CondJump:
                case InstructionShape.Ja:
                    jumpsToStart |= pc + insns[pc].Aux == 0;
                    leader[pc + insns[pc].Aux] = true;
                    leader[pc + 1] = true;
                    break;
                case InstructionShape.Exit:
                    leader[pc + 1] = true;
                    break;
                case InstructionShape.Call:
                    leader[pc + 1] = true;
                    if (insn.Src == PseudoSource.Call)
                    {
                        leader[pc + insns[pc].Aux] = true;
                        functions.Add(pc + insns[pc].Aux);
                        returns.Add(pc + 1);
                        HasLocalCalls = true;
                    }
                    else if (insn.Imm == JitCompiler.TailCallHelper)
                    {
                        HasTailCalls = true;
                    }
                    break;
                case InstructionShape.Callx:
                    leader[pc + 1] = true;
                    returns.Add(pc + 1);
                    HasLocalCalls = true;
                    break;
                case InstructionShape.LoadImm64:
                    if (insn.Src == PseudoSource.Func)
                    {
                        int target = VmHandles.FunctionPc((ulong)insns[pc].Imm);
                        leader[target] = true;
                        functions.Add(target);
                    }
                    pc++;
                    break;
            }
        }


        FindRegisterUse(code);
        FunctionTargets = [.. functions];
        StartIsEntryOnly = !functions.Contains(0) && !jumpsToStart;
        ReturnSites = [.. returns];
        var entries = new SortedSet<int>(functions) { 0 };
        // Another program's exit can return into this one only after a tail call made inside one of its subprograms.
        if (HasLocalCalls && HasTailCalls)
            entries.UnionWith(returns);
        Entries = [.. entries];
    }

    public bool IsEntry(int pc) => Array.BinarySearch(Entries, pc) >= 0;

    private void FindRegisterUse(VmCode code)
    {
        void Read(int r) => Touched[r] = true;
        void Write(int r) => Touched[r] = Written[r] = true;
        for (int pc = 0; pc < code.Source.Length; pc++)
        {
            var insn = code.Source[pc];
            var info = insn.Info;
            switch (info.Shape)
            {
                case InstructionShape.Alu or InstructionShape.Neg or InstructionShape.Endian:
                    Read(insn.Dst);
                    if (info.UsesRegisterSource && info.Shape == InstructionShape.Alu)
                        Read(insn.Src);
                    Write(insn.Dst);
                    break;
                case InstructionShape.CondJump:
                    Read(insn.Dst);
                    if (info.UsesRegisterSource)
                        Read(insn.Src);
                    break;
                case InstructionShape.Load:
                    Read(insn.Src);
                    Write(insn.Dst);
                    break;
                case InstructionShape.StoreImm:
                    Read(insn.Dst);
                    break;
                case InstructionShape.StoreReg:
                    Read(insn.Dst);
                    Read(insn.Src);
                    break;
                case InstructionShape.Atomic:
                    Write(insn.Dst);
                    Write(insn.Src);
                    Write(0);
                    break;
                case InstructionShape.LoadImm64:
                    Write(insn.Dst);
                    pc++;
                    break;
                case InstructionShape.LoadPacket:
                    Read(insn.Src);
                    Write(0);
                    break;
                case InstructionShape.Call or InstructionShape.Callx:
                    if (info.Shape == InstructionShape.Callx)
                        Read(insn.Dst);
                    for (int r = 1; r <= 5; r++)
                        Read(r);
                    Write(0);
                    break;
                case InstructionShape.Exit:
                    Read(0);
                    break;
            }
        }
        if (HasLocalCalls)
        {
            // frames save and restore r6-r10; the return path writes them
            for (int r = 6; r <= 10; r++)
                Write(r);
        }
    }
}
