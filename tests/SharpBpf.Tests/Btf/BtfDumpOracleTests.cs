using SharpBpf.Cli.Bpftool;
using SharpBpf.Btf;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Btf;

/// <summary>Our raw, JSON and C dumps against bpftool 7.1's, byte for byte, on the kernel's BTF and every test program.</summary>
public class BtfDumpOracleTests
{
    public static TheoryData<string, bool> Objects()
    {
        var data = new TheoryData<string, bool>();
        foreach (var file in TestPrograms.All())
        {
            data.Add(file, false);
            data.Add(file, true);
        }
        return data;
    }

    private static string Bpftool(params string[] args)
    {
        var bpftool = Requirements.Tool("bpftool");
        var (code, stdout, stderr) = TestPrograms.Run(bpftool, args);
        Assert.True(code == 0, $"bpftool {string.Join(' ', args)} failed: {stderr}");
        return stdout;
    }

    private static string Render(Action<TextWriter> print)
    {
        var w = new StringWriter { NewLine = "\n" };
        print(w);
        return w.ToString();
    }

    private static void AssertSameText(string expected, string actual, string what)
    {
        if (expected == actual)
            return;
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        var line = 0;
        while (line < Math.Min(e.Length, a.Length) && e[line] == a[line])
            line++;
        Assert.Fail($"{what}: first difference at line {line + 1}\n bpftool: {(line < e.Length ? e[line] : "<end>")}\n ours:    {(line < a.Length ? a[line] : "<end>")}");
    }

    [SkippableFact]
    public void VmlinuxRawMatchesBpftool()
    {
        var spec = BtfTestData.Vmlinux;
        AssertSameText(Bpftool("btf", "dump", "file", BtfTestData.VmlinuxPath), Render(w => BtfRawPrinter.Print(spec, w)), "raw");
    }

    [SkippableFact]
    public void VmlinuxJsonMatchesBpftool()
    {
        var spec = BtfTestData.Vmlinux;
        AssertSameText(Bpftool("-j", "btf", "dump", "file", BtfTestData.VmlinuxPath), Render(w => BtfRawPrinter.PrintJson(spec, w)), "-j");
        AssertSameText(Bpftool("-p", "btf", "dump", "file", BtfTestData.VmlinuxPath), Render(w => BtfRawPrinter.PrintJson(spec, w, pretty: true)), "-p");
    }

    [SkippableFact]
    public void VmlinuxHeaderMatchesBpftool()
    {
        var spec = BtfTestData.Vmlinux;
        AssertSameText(Bpftool("btf", "dump", "file", BtfTestData.VmlinuxPath, "format", "c"), Render(w => BtfCPrinter.PrintHeader(spec, w)), "format c");
    }

    [SkippableTheory]
    [MemberData(nameof(Objects))]
    public void ObjectDumpsMatchBpftool(string program, bool bigEndian)
    {
        var obj = TestPrograms.Compile(program, bigEndian: bigEndian);
        var spec = BtfFile.Load(obj);
        AssertSameText(Bpftool("btf", "dump", "file", obj), Render(w => BtfRawPrinter.Print(spec, w)), program + " raw");
        AssertSameText(Bpftool("-j", "btf", "dump", "file", obj), Render(w => BtfRawPrinter.PrintJson(spec, w)), program + " -j");
        AssertSameText(Bpftool("-p", "btf", "dump", "file", obj), Render(w => BtfRawPrinter.PrintJson(spec, w, true)), program + " -p");
        AssertSameText(Bpftool("btf", "dump", "file", obj, "format", "c"), Render(w => BtfCPrinter.PrintHeader(spec, w)), program + " format c");
    }

    [Theory]
    [InlineData("btf_rich_types.c")]
    [InlineData("btf_edge_types.c")]
    [InlineData("btf_core_reads.c")]
    public void GeneratedHeaderCompiles(string program)
    {
        var spec = BtfFile.Load(TestPrograms.Compile(program));
        var header = Path.Combine(Path.GetTempPath(), $"sharpbpf-{Path.GetFileNameWithoutExtension(program)}-{Environment.ProcessId}.h");
        File.WriteAllText(header, Render(w => BtfCPrinter.PrintHeader(spec, w)));
        try
        {
            var (code, _, err) = TestPrograms.Run(TestPrograms.Clang, ["-target", "bpfel", "-fsyntax-only", "-Werror", "-x", "c", header]);
            Assert.True(code == 0, err);
        }
        finally
        {
            File.Delete(header);
        }
    }

    [SkippableFact]
    public void CliDumpsLikeBpftool()
    {
        var obj = TestPrograms.Compile("btf_rich_types.c");
        foreach (var args in new[] { new[] { "btf", "dump", "file", obj }, ["btf", "dump", "file", obj, "format", "c"], ["-j", "btf", "dump", "file", obj] })
        {
            var ours = args[0] == "-j" ? SharpBpfCli.Run([.. args[1..], "--json"]) : SharpBpfCli.Run(args);
            Assert.True(ours.ExitCode == 0, ours.Stderr);
            AssertSameText(Bpftool(args), ours.Stdout, string.Join(' ', args));
        }
    }

    [Fact]
    public void CliReportsBadInputInOneLine()
    {
        var missing = SharpBpfCli.Run("btf", "dump", "file", "/nonexistent/file.o");
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("sharpbpf: ", missing.Stderr);
        Assert.Single(missing.Stderr.TrimEnd().Split('\n'));

        var notBtf = SharpBpfCli.Run("btf", "dump", "file", TestPrograms.Compile("btf_rich_types.c") + "", "format", "go");
        Assert.Equal(1, notBtf.ExitCode);
        Assert.Contains("unknown format", notBtf.Stderr);
    }
}
