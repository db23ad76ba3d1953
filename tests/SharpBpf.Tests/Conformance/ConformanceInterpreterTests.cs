using SharpBpf.Vm;

namespace SharpBpf.Tests.Conformance;

/// <summary>Every file of the BPF conformance suite through the interpreter: r1 = a copy of <c>-- mem</c>, r2 = its length, r0 compared with <c>-- result</c>.</summary>
public class ConformanceInterpreterTests
{
    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        var dir = ConformanceTestFile.DefaultDirectory;
        if (Directory.Exists(dir))
        {
            foreach (var path in Directory.EnumerateFiles(dir, "*.data").Order(StringComparer.Ordinal))
                data.Add(Path.GetFileName(path));
        }
        else
        {
            data.Add("(suite missing)");
        }
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Files))]
    public void RunsLikeTheSuiteExpects(string name)
    {
        var dir = ConformanceTestFile.RequireDirectory();
        var file = ConformanceTestFile.Parse(Path.Combine(dir, name));
        using var engine = new VmEngine(new VmOptions { UseJit = false, VerifyBeforeLoad = false }); // the suite tests the ISA, not safety
        if (file.Error is { Length: > 0 } expectedError)
        {
            var e = Assert.ThrowsAny<BpfException>(() => engine.LoadProgram(file.Program(), name: file.Name).RunOnMemory(file.Memory.ToArray()));
            Assert.Equal(expectedError, e.Message);
            return;
        }
        var program = engine.LoadProgram(file.Program(), name: file.Name);
        ulong r0 = program.RunOnMemory(file.Memory.ToArray());
        Assert.Equal(file.Result ?? 0, r0);
    }

    [SkippableFact]
    public void TheWholeSuiteIsThere()
    {
        var dir = ConformanceTestFile.RequireDirectory();
        Assert.Equal(313, Directory.EnumerateFiles(dir, "*.data").Count());
    }
}
