namespace SharpBpf.Vm.Jit;

/// <summary>
/// Runs programs with compiled code when the engine's <see cref="VmOptions.UseJit"/> is on, else with the interpreter.
/// Compiled code returns here for what crosses programs (tail calls, returns into another program's frame) and hands
/// a run over to the interpreter when it must (a block the budget cannot pay for in full, an entry it has no code for).
/// </summary>
internal static unsafe class JitExecutor
{
    /// <summary>Runs the program from its first instruction with r1, r2; returns r0.</summary>
    public static ulong Run(VmCallContext cx, ulong r1, ulong r2)
    {
        if (!cx.Engine.Options.UseJit)
            return Interpreter.Run(cx, r1, r2);
        ulong* r = stackalloc ulong[11];
        r[1] = r1;
        r[2] = r2;
        r[10] = cx.StackTop;
        return Execute(cx, cx.CurrentCode, 0, 0, 0, r);
    }

    /// <summary>Runs <paramref name="code"/> from <paramref name="pc"/> at <paramref name="depth"/> until it exits at <paramref name="baseDepth"/>.</summary>
    public static ulong Execute(VmCallContext cx, VmCode code, int pc, int depth, int baseDepth, ulong* r)
    {
        while (true)
        {
            var jit = code.Jit ?? Compile(code, cx.Options.MaxJitInstructions);
            if (jit.Entry is null || !jit.IsEntry(pc))
                return Interpreter.Execute(cx, code, pc, depth, baseDepth, r);
            int status = jit.Entry(cx, r, pc, depth, baseDepth);
            if (status == JitProgram.Done)
                return r[0];
            code = cx.JitNextCode!;
            pc = cx.JitNextPc;
            depth = cx.JitNextDepth;
            cx.JitNextCode = null;
            if (status == JitProgram.Interpret)
                return Interpreter.Execute(cx, code, pc, depth, baseDepth, r);
        }
    }

    /// <summary>The compiled form of <paramref name="code"/>, compiled on first use (once; a race compiles twice and keeps one).
    /// Programs longer than <paramref name="maxInstructions"/> are not compiled (compile time and memory grow faster than
    /// the program): they get an empty form and run interpreted.</summary>
    public static JitProgram Compile(VmCode code, int maxInstructions = VmOptions.DefaultMaxJitInstructions)
    {
        var compiled = code.Source.Length > maxInstructions
            ? new JitProgram(null, [0], null, TimeSpan.Zero)
            : JitCompiler.Compile(code);
        return Interlocked.CompareExchange(ref code.Jit, compiled, null) ?? compiled;
    }
}
