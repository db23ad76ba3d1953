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

    public JitBlocks(VmCode code)
    {
        var insns = code.Insns;
        int n = code.Source.Length;
        var leader = Leader = new bool[n + 1];
        var functions = new SortedSet<int>();
        var returns = new SortedSet<int>();
        leader[0] = true;
        leader[n] = true;
        for (int pc = 0; pc < n; pc++)
        {
            var insn = code.Source[pc];
            switch (insn.Info.Shape)
            {
                case InstructionShape.CondJump:
                case InstructionShape.Ja:
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


        FunctionTargets = [.. functions];
        ReturnSites = [.. returns];
        var entries = new SortedSet<int>(functions) { 0 };
        // Another program's exit can return into this one only after a tail call made inside one of its subprograms.
        if (HasLocalCalls && HasTailCalls)
            entries.UnionWith(returns);
        Entries = [.. entries];
    }

    public bool IsEntry(int pc) => Array.BinarySearch(Entries, pc) >= 0;
}
