using SharpBpf.Isa.Assembly;
using SharpBpf.Objects;
using SharpBpf.Tests.Support;
using SharpBpf.Vm;
using SharpBpf.Vm.Jit;

namespace SharpBpf.Tests.Vm.Jit;

/// <summary>The JIT on what crosses compiled code: tail calls, callbacks, subprograms, helpers, faults, budgets.
/// Every case runs on both engines, which must agree.</summary>
public class JitExecutionTests
{
    private static VmEngine Engine(bool jit, long budget = VmOptions.DefaultInstructionBudget) =>
        new(new VmOptions { UseJit = jit, InstructionBudget = budget, VerifyBeforeLoad = false });

    private static ulong RunClang(bool jit, string program)
    {
        using var engine = Engine(jit);
        var collection = engine.Load(ObjectSpec.Load(TestPrograms.Compile("jit_calls.c")));
        var p = collection.Program(program);
        ulong r0 = p.Run(new byte[64]).ReturnValue;
        if (jit)
        {
            Assert.NotNull(p.Code.Jit?.Entry);
            Assert.Null(p.Code.Jit?.Error);
        }
        return r0;
    }

    [Theory]
    [InlineData("tail_in_subprogram", 6000 + 70 + 3)] // the target's r0 comes back to the subprogram's caller: 6073 from bpftool prog run too
    [InlineData("loop_callbacks", 22140 + 40 + 41 * 100000)]
    [InlineData("subprogram_chain", ((64 + 2) * 3 + 1) * 2 + 64 * 3 + 1)]
    public void ClangProgramsRunTheSameOnBothEngines(string program, long expected)
    {
        Assert.Equal((ulong)expected, RunClang(jit: false, program));
        Assert.Equal((ulong)expected, RunClang(jit: true, program));
    }

    [Fact]
    public void HelpersOfEveryShapeAreCalled()
    {
        int calls = 0;
        ulong Instance(VmCallContext vm, ulong a, ulong b, ulong c, ulong d, ulong e) => a + b * 10 + (ulong)++calls;
        foreach (bool jit in new[] { false, true })
        {
            calls = 0;
            var table = VmHelperTable.CreateDefault()
                .Register(1000, Instance)                                   // a closure: instance method of a display class
                .Register(1001, static (vm, a, b, c, d, e) => a * b)         // a static lambda
                .Register(1002, new Func<ulong, VmHelper>(k => (vm, a, b, c, d, e) => a + k)(5)); // a capturing lambda
            using var engine = new VmEngine(new VmOptions { UseJit = jit, Helpers = table, VerifyBeforeLoad = false });
            var p = engine.LoadProgram(Assembler.Assemble("""
                mov %r1, 2
                mov %r2, 3
                call 1000
                mov %r6, %r0
                mov %r1, 6
                mov %r2, 7
                call 1001
                add %r6, %r0
                mov %r1, %r6
                call 1002
                exit
                """));
            Assert.Equal(2UL + 30 + 1 + 42 + 5, p.RunOnMemory([]));
            Assert.Equal(1, calls);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(700)]
    public void TheBudgetRunsOutAtTheSameJumpOnBothEngines(long budget)
    {
        const string loop = """
            mov %r0, 0
            mov %r1, 100
            loop:
            add %r0, %r1
            sub %r1, 1
            jne %r1, 0, loop
            exit
            """;
        string Outcome(bool jit)
        {
            using var engine = Engine(jit, budget);
            try
            {
                return engine.LoadProgram(Assembler.Assemble(loop)).RunOnMemory([]).ToString();
            }
            catch (VmFault f)
            {
                return $"{f.Pc}: {f.Message}";
            }
        }
        Assert.Equal(Outcome(jit: false), Outcome(jit: true));
        Assert.Contains(budget < 300 ? "budget" : "5050", Outcome(jit: true));
    }

    [Fact]
    public void MemoryFaultsNameTheSameInstructionAndAddress()
    {
        foreach (string body in new[] { "ldxw %r0, [%r1+64]", "stxdw [%r1-8], %r1", "ldxb %r0, [%r10+0]", "stb [%r2+0], 1" })
        {
            VmFault Fault(bool jit)
            {
                using var engine = Engine(jit);
                var p = engine.LoadProgram(Assembler.Assemble($"mov %r0, 0\n{body}\nexit"));
                return Assert.Throws<VmFault>(() => p.RunOnMemory(new byte[64]));
            }
            var (i, j) = (Fault(false), Fault(true));
            Assert.Equal(i.Pc, j.Pc);
            Assert.Equal(i.Reason.Split(": ")[0], j.Reason.Split(": ")[0]);
            Assert.Equal(i.Size, j.Size);
        }
    }

    [Fact]
    public void ProgramsCompileOnceAndRunWithoutAllocating()
    {
        using var engine = Engine(jit: true);
        var p = engine.LoadProgram(Assembler.Assemble("""
            mov %r0, 0
            loop:
            ldxb %r3, [%r1+0]
            add %r0, %r3
            add %r1, 1
            sub %r2, 1
            jne %r2, 0, loop
            exit
            """));
        var memory = new byte[64];
        for (int i = 0; i < memory.Length; i++)
            memory[i] = (byte)i;
        Assert.Equal(2016UL, p.RunOnMemory(memory));
        var compiled = p.Code.Jit;
        Assert.NotNull(compiled?.Entry);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
            p.RunOnMemory(memory);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.Same(compiled, p.Code.Jit);
    }
}
