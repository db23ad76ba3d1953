using System.Reflection;
using System.Runtime.CompilerServices;

namespace SharpBpf.Vm.Jit;

/// <summary>
/// Runs programs with compiled code when the engine's <see cref="VmOptions.UseJit"/> is on, else with the interpreter.
/// Compiled code returns here for what crosses programs (tail calls, returns into another program's frame) and hands
/// a run over to the interpreter when it must (a block the budget cannot pay for in full, an entry it has no code for).
/// </summary>
internal static unsafe class JitExecutor
{
    /// <summary>Runs the program from its first instruction with r1, r2; returns r0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    /// <summary>The timed loop of repeated runs on the same context: nothing in it but the per-run reset and the program.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ulong RunRepeated(VmCallContext cx, ulong r1, ulong r2, int repeat)
    {
        ulong r0 = Run(cx, r1, r2);
        for (int i = 1; i < repeat; i++)
        {
            cx.ResetRun();
            r0 = Run(cx, r1, r2);
        }
        return r0;
    }

    /// <summary>Runs <paramref name="code"/> from <paramref name="pc"/> at <paramref name="depth"/> until it exits at <paramref name="baseDepth"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    /// <summary>
    /// Before timed runs: compiles the run's program and has RyuJIT turn it into native code (which it does on the first call),
    /// by entering it at a pc that is never an entry, where it hands over at once without running anything; then has the
    /// runtime's run loop compiled optimised. <paramref name="cx"/> must be set up for a run (its caches are reset by the call).
    /// </summary>
    public static void Prepare(VmCallContext cx)
    {
        PrepareRuntime();
        if (!cx.Engine.Options.UseJit)
            return;
        var jit = cx.CurrentCode.Jit ?? Compile(cx.CurrentCode, cx.Options.MaxJitInstructions);
        if (jit.Entry is null)
            return;
        ulong* r = stackalloc ulong[11];
        r[10] = cx.StackTop;
        jit.Entry(cx, r, -1, 0, 0);
        cx.JitNextCode = null;
    }

    private static bool _runtimePrepared;

    /// <summary>The methods every run goes through, compiled now (they are AggressiveOptimization: compiled once, optimised).</summary>
    private static void PrepareRuntime()
    {
        if (_runtimePrepared)
            return;
        const BindingFlags Static = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;
        RuntimeHelpers.PrepareMethod(typeof(Interpreter).GetMethod(nameof(Interpreter.Execute), Static)!.MethodHandle);
        RuntimeHelpers.PrepareMethod(typeof(Interpreter).GetMethod(nameof(Interpreter.Run), Static)!.MethodHandle);
        RuntimeHelpers.PrepareMethod(typeof(JitExecutor).GetMethod(nameof(Execute), Static)!.MethodHandle);
        RuntimeHelpers.PrepareMethod(typeof(JitExecutor).GetMethod(nameof(Run), Static)!.MethodHandle);
        RuntimeHelpers.PrepareMethod(typeof(JitExecutor).GetMethod(nameof(RunRepeated), Static)!.MethodHandle);
        RuntimeHelpers.PrepareMethod(typeof(VmCallContext).GetMethod(nameof(VmCallContext.ResetRun), BindingFlags.Instance | BindingFlags.NonPublic)!.MethodHandle);
        _runtimePrepared = true;
    }

    /// <summary>The compiled form of <paramref name="code"/>, compiled on first use (once; a race compiles twice and keeps one).
    /// Programs longer than <paramref name="maxInstructions"/> are not compiled (compile time and memory grow faster than
    /// the program): they get an empty form and run interpreted.</summary>
    public static JitProgram Compile(VmCode code, int maxInstructions = VmOptions.DefaultMaxJitInstructions)
    {
        var compiled = code.Source.Length <= maxInstructions && RuntimeFeature.IsDynamicCodeSupported
            ? JitCompiler.Compile(code)
            : new JitProgram(null, [0], null, TimeSpan.Zero);
        return Interlocked.CompareExchange(ref code.Jit, compiled, null) ?? compiled;
    }
}
