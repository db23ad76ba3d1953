namespace SharpBpf.Vm.Jit;

/// <summary>
/// Compiled code: enters at <paramref name="pc"/> (one of <see cref="JitProgram.IsEntry"/>) with the registers in
/// <paramref name="r"/>, runs until the program exits at <paramref name="baseDepth"/> (returns 0, r0 in r[0]) or must
/// continue elsewhere (returns 1: <see cref="VmCallContext.JitNextCode"/> compiled code or 2: the interpreter, at
/// JitNextPc/JitNextDepth). The registers are written back to <paramref name="r"/> (only r0 when the program exits: its
/// callers read nothing else).
/// </summary>
internal unsafe delegate int JitEntry(VmCallContext cx, ulong* r, int pc, int depth, int baseDepth);

/// <summary>A program compiled to a DynamicMethod, or the reason it could not be (then it is interpreted).</summary>
internal sealed class JitProgram
{
    public const int Done = 0, Continue = 1, Interpret = 2;

    private readonly int[] _entries;

    public JitProgram(JitEntry? entry, int[] entries, Exception? error, TimeSpan compileTime)
    {
        Entry = entry;
        _entries = entries;
        Error = error;
        CompileTime = compileTime;
    }

    public JitEntry? Entry { get; }
    /// <summary>Why compilation failed (a JIT bug: the program still runs, interpreted).</summary>
    public Exception? Error { get; }
    public TimeSpan CompileTime { get; }
    /// <summary>Loads, stores and atomics compiled with a bounds check (fewer when the static verifier proved some safe).</summary>
    public int BoundsChecks { get; init; }

    public bool IsEntry(int pc)
    {
        var e = _entries;
        if (e.Length == 1)
            return pc == 0;
        return Array.BinarySearch(e, pc) >= 0;
    }
}

/// <summary>What a compiled program's IL reaches through its first argument.</summary>
internal sealed class JitClosure
{
    public JitClosure(VmCode code, object?[] targets) => (Code, Targets) = (code, targets);
    public readonly VmCode Code;
    /// <summary>Per helper id: the delegate's target object (direct calls) or the delegate itself (invoked).</summary>
    public readonly object?[] Targets;
}
