using SharpBpf.Tests.Conformance;
using SharpBpf.Vm;

namespace SharpBpf.Tests.Vm.Jit;

/// <summary>Every file of the BPF conformance suite through the JIT, and through the interpreter for the same fault or result.</summary>
public class ConformanceJitTests
{
    public static TheoryData<string> Files() => ConformanceInterpreterTests.Files();

    [SkippableTheory]
    [MemberData(nameof(Files))]
    public void RunsLikeTheSuiteExpectsAndLikeTheInterpreter(string name)
    {
        var dir = ConformanceTestFile.RequireDirectory();
        var file = ConformanceTestFile.Parse(Path.Combine(dir, name));
        using var engine = new VmEngine(new VmOptions { UseJit = true, VerifyBeforeLoad = false });
        using var interpreter = new VmEngine(new VmOptions { UseJit = false, VerifyBeforeLoad = false });
        if (file.Error is { Length: > 0 } expectedError)
        {
            var e = Assert.ThrowsAny<BpfException>(() => engine.LoadProgram(file.Program(), name: file.Name).RunOnMemory(file.Memory.ToArray()));
            Assert.Equal(expectedError, e.Message);
            return;
        }
        var program = engine.LoadProgram(file.Program(), name: file.Name);
        var memory = file.Memory.ToArray();
        ulong r0 = program.RunOnMemory(memory);
        Assert.Null(program.Code.Jit?.Error);
        Assert.NotNull(program.Code.Jit?.Entry);
        Assert.Equal(file.Result ?? 0, r0);

        var reference = file.Memory.ToArray();
        Assert.Equal(file.Result ?? 0, interpreter.LoadProgram(file.Program(), name: file.Name).RunOnMemory(reference));
        Assert.Equal(reference, memory);
    }
}
