using SharpBpf.Isa;

namespace SharpBpf.Verifier;

/// <summary>
/// The kernel's check_cfg and subprogram discovery: every jump lands inside the program and inside its own
/// function, no instruction is unreachable, functions end in exit or a jump; the pruning points and the call graph.
/// </summary>
internal sealed class ControlFlow
{
    public bool[] PrunePoint { get; }
    /// <summary>Start instruction of every function (the main program at 0), ascending.</summary>
    public List<int> FunctionStarts { get; } = [0];
    /// <summary>Function start → the functions it calls or passes as callbacks.</summary>
    public Dictionary<int, HashSet<int>> Callees { get; } = [];

    private ControlFlow(int length) => PrunePoint = new bool[length];

    /// <summary>Analyses <paramref name="insns"/>; returns the first violation as (message, instruction) or the graph.</summary>
    public static (ControlFlow? Graph, string? Error, int At) Build(Instruction[] insns)
    {
        int n = insns.Length;
        if (n == 0)
            return (null, "empty program", 0);
        var cfg = new ControlFlow(n);
        var starts = new SortedSet<int> { 0 };
        var wideSecond = new bool[n];
        for (int i = 0; i < n; i++)
        {
            var insn = insns[i];
            if (insn.IsWide)
            {
                if (i + 1 >= n)
                    return (null, "invalid bpf_ld_imm64 insn", i);
                wideSecond[i + 1] = true;
                if (insn.Src == PseudoSource.Func)
                {
                    int target = i + insn.Imm + 1;
                    if (target < 0 || target >= n)
                        return (null, $"invalid func address at insn {i}", i);
                    starts.Add(target);
                }
                i++;
                continue;
            }
            if (insn.Opcode == Opcodes.Call && insn.Src == PseudoSource.Call)
            {
                int target = i + insn.Imm + 1;
                if (target < 0 || target >= n)
                    return (null, "call to invalid destination", i);
                starts.Add(target);
            }
        }
        cfg.FunctionStarts.Clear();
        cfg.FunctionStarts.AddRange(starts);
        foreach (var s in starts)
            cfg.Callees[s] = [];

        for (int f = 0; f < cfg.FunctionStarts.Count; f++)
        {
            int start = cfg.FunctionStarts[f], end = f + 1 < cfg.FunctionStarts.Count ? cfg.FunctionStarts[f + 1] : n;
            var last = insns[end - 1];
            bool endsWell = last.Opcode == Opcodes.Exit || last.Opcode == Opcodes.Ja || last.Opcode == Opcodes.Ja32;
            if (!endsWell)
                return (null, "last insn is not an exit or jmp", end - 1);
            for (int i = start; i < end; i++)
            {
                var insn = insns[i];
                if (wideSecond[i])
                    continue;
                var info = insn.Info;
                if (!info.IsValid)
                    return (null, $"unknown opcode {insn.Opcode:x2}", i);
                if (insn.IsWide && insn.Src == PseudoSource.Func)
                    cfg.Callees[start].Add(i + insn.Imm + 1);
                if (info.Shape == InstructionShape.Call && insn.Src == PseudoSource.Call)
                {
                    cfg.Callees[start].Add(i + insn.Imm + 1);
                    Mark(cfg, i + 1);
                }
                if (info.Shape is InstructionShape.CondJump or InstructionShape.Ja)
                {
                    int target = i + 1 + (insn.Opcode == Opcodes.Ja32 ? insn.Imm : insn.Offset);
                    if (target < start || target >= end)
                        return (null, $"jump out of range from insn {i} to {target}", i);
                    if (wideSecond[target])
                        return (null, $"jump to the middle of ldimm64 insn {target}", i);
                    Mark(cfg, target);
                    if (info.Shape == InstructionShape.CondJump)
                        Mark(cfg, i + 1);
                }
            }
        }
        foreach (var s in starts)
            Mark(cfg, s);

        // Reachability, from the main program and every function a call or function address names.
        var seen = new bool[n];
        var work = new Stack<int>(starts.Where(s => s == 0));
        var reachedFunctions = new HashSet<int> { 0 };
        while (work.Count > 0)
        {
            int i = work.Pop();
            if (i >= n || seen[i])
                continue;
            seen[i] = true;
            var insn = insns[i];
            if (insn.IsWide)
            {
                seen[i + 1] = true;
                if (insn.Src == PseudoSource.Func && reachedFunctions.Add(i + insn.Imm + 1))
                    work.Push(i + insn.Imm + 1);
                work.Push(i + 2);
                continue;
            }
            switch (insn.Info.Shape)
            {
                case InstructionShape.Exit:
                    break;
                case InstructionShape.Ja:
                    work.Push(i + 1 + (insn.Opcode == Opcodes.Ja32 ? insn.Imm : insn.Offset));
                    break;
                case InstructionShape.CondJump:
                    work.Push(i + 1 + insn.Offset);
                    work.Push(i + 1);
                    break;
                case InstructionShape.Call when insn.Src == PseudoSource.Call:
                    if (reachedFunctions.Add(i + insn.Imm + 1))
                        work.Push(i + insn.Imm + 1);
                    work.Push(i + 1);
                    break;
                default:
                    work.Push(i + 1);
                    break;
            }
        }
        for (int i = 0; i < n; i++)
            if (!seen[i])
                return (null, $"unreachable insn {i}", i);
        return (cfg, null, 0);
    }

    private static void Mark(ControlFlow cfg, int at)
    {
        if (at < cfg.PrunePoint.Length)
            cfg.PrunePoint[at] = true;
    }

    public int FunctionOf(int insn)
    {
        int index = FunctionStarts.BinarySearch(insn);
        return FunctionStarts[index >= 0 ? index : ~index - 1];
    }
}
