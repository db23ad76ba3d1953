using System.Diagnostics;
using System.Reflection;
using System.Reflection.Emit;
using SharpBpf.Isa;

namespace SharpBpf.Vm.Jit;

/// <summary>
/// Compiles a decoded program (<see cref="VmCode"/>) to one <see cref="DynamicMethod"/>, which RyuJIT turns into native code.
/// Registers are IL locals; bpf-to-bpf calls push the interpreter's frames (<see cref="VmCallContext.Frames"/>) and jump, so
/// compiled code and the interpreter can hand a run over to each other (an entry the code has no label for, a return
/// into another program's frame after a tail call). The budget is charged as the interpreter charges it: on taken
/// backward jumps, by the length of the loop they close, so a runaway loop stops at the same jump on both engines.
/// </summary>
internal static class JitCompiler
{
    public const int TailCallHelper = 12;
    /// <summary>Why the JIT is absent from NativeAOT builds (the sharpbpf tool): they interpret.</summary>
    public const string NeedsDynamicCode = "the JIT emits a DynamicMethod: callers check RuntimeFeature.IsDynamicCodeSupported and interpret without it";

    /// <summary>Compiles <paramref name="code"/>; never throws (a failure is recorded and the program is interpreted).</summary>
    [System.Diagnostics.CodeAnalysis.RequiresDynamicCode(NeedsDynamicCode)]
    public static JitProgram Compile(VmCode code)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            var blocks = new JitBlocks(code);
            var helpers = JitHelperCalls.Plan(code);
            var closure = new JitClosure(code, helpers.Targets);
            var method = new DynamicMethod($"bpf_{code.Name}", typeof(int),
                [typeof(JitClosure), typeof(VmCallContext), typeof(ulong*), typeof(int), typeof(int), typeof(int)],
                typeof(JitClosure).Module, skipVisibility: true);
            var emitter = new JitEmitter(code, blocks, helpers, method.GetILGenerator());
            emitter.Emit();
            var entry = (JitEntry)method.CreateDelegate(typeof(JitEntry), closure);
            return new JitProgram(entry, blocks.Entries, null, Stopwatch.GetElapsedTime(start)) { BoundsChecks = emitter.BoundsChecks };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new JitProgram(null, [], e, Stopwatch.GetElapsedTime(start));
        }
    }
}

/// <summary>How each helper id is called from compiled code: a direct call to the delegate's method when it is a plain
/// static or instance method (no delegate invocation), else an invocation of the delegate.</summary>
internal sealed class JitHelperCalls
{
    public readonly object?[] Targets;
    public readonly MethodInfo?[] Direct;

    private JitHelperCalls(object?[] targets, MethodInfo?[] direct) => (Targets, Direct) = (targets, direct);

    /// <summary>Plans the helpers <paramref name="code"/> calls by id (callx through a register goes through the delegate at run time).</summary>
    public static JitHelperCalls Plan(VmCode code)
    {
        var helpers = code.Helpers;
        var targets = new object?[helpers.Length];
        var direct = new MethodInfo?[helpers.Length];
        for (int pc = 0; pc < code.Source.Length; pc++)
        {
            var insn = code.Source[pc];
            if (insn.Info.Shape != InstructionShape.Call || insn.Src != 0 || (uint)insn.Imm >= (uint)helpers.Length)
                continue;
            int id = insn.Imm;
            var h = helpers[id];
            if (h is null || targets[id] is not null || direct[id] is not null)
                continue;
            var m = h.Method;
            bool plain = h.GetInvocationList().Length == 1 && m.GetType().Name == "RuntimeMethodInfo" && !m.IsVirtual
                && !m.ContainsGenericParameters && m.ReturnType == typeof(ulong) && m.DeclaringType is { IsValueType: false }
                && m.GetParameters() is { Length: 6 } p && p[0].ParameterType == typeof(VmCallContext)
                && p.Skip(1).All(x => x.ParameterType == typeof(ulong));
            if (plain && m.IsStatic && h.Target is null)
            {
                direct[id] = m;
            }
            else if (plain && !m.IsStatic && h.Target is not null && h.Target.GetType() == m.DeclaringType)
            {
                direct[id] = m;
                targets[id] = h.Target;
            }
            else
            {
                targets[id] = h;
            }
        }
        return new JitHelperCalls(targets, direct);
    }
}
