using System.Text;
using SharpBpf.Isa;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Conformance;

/// <summary>Drives <c>sharpbpf conformance-plugin</c> exactly as the suite's runner does: memory first (bytes + two spaces),
/// program hex on stdin, r0 hex on stdout.</summary>
public class ConformancePluginCliTests
{
    private static string Hex(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        foreach (var b in bytes)
            sb.Append(b.ToString("x2")).Append("  ");
        return sb.ToString();
    }

    [SkippableTheory]
    [InlineData("mem-len.data")]
    [InlineData("lddw.data")]
    [InlineData("call_local.data")]
    [InlineData("call_unwind_fail.data")]
    [InlineData("callx.data")]
    [InlineData("ldxb-all.data")]
    [InlineData("stxb-chain.data")]
    [InlineData("lock_cmpxchg.data")]
    [InlineData("sdiv64-intmin-by-negone-imm.data")]
    [InlineData("be16-high.data")]
    public void RunsSuiteFilesAsTheRunnerWould(string name)
    {
        foreach (var mode in new[] { "--interpret", "--jit" })
            RunSuiteFile(name, mode);
    }

    private static void RunSuiteFile(string name, string mode)
    {
        var path = Path.Combine(ConformanceTestFile.RequireDirectory(), name);
        Assert.True(File.Exists(path), $"conformance file {path} not found");
        var file = ConformanceTestFile.Parse(path);
        var program = Hex(Instruction.WriteAll(file.Program()));
        string[] args = file.Memory.Length > 0 ? ["conformance-plugin", Hex(file.Memory), mode] : ["conformance-plugin", mode];
        var (exit, stdout, stderr) = SharpBpfCli.RunWithInput(program + "\n", args);
        Assert.True(exit == 0, stderr);
        Assert.Equal((file.Result ?? 0).ToString("x") + "\n", stdout);
    }

    [Fact]
    public void JitRunsTheProgram()
    {
        var (exit, stdout, stderr) = SharpBpfCli.RunWithInput("b7  00  00  00  2a  00  00  00  95  00  00  00  00  00  00  00  \n",
            "conformance-plugin", "--jit", "");
        Assert.Equal(0, exit);
        Assert.Equal("2a\n", stdout);
        Assert.Equal("", stderr);
    }

    [Fact]
    public void ARejectedProgramPrintsFailedToLoadOnStdout()
    {
        var (exit, stdout, _) = SharpBpfCli.RunWithInput("ff  00  00  00  00  00  00  00  95  00  00  00  00  00  00  00  \n", "conformance-plugin");
        Assert.Equal(1, exit);
        Assert.Equal("Failed to load code: invalid opcode 0xff (at instruction 0)\n", stdout);
    }

    [Fact]
    public void AFaultExitsNonZeroNamingTheInstruction()
    {
        // ldxw r0, [r1+8] on 4 bytes of memory
        var (exit, stdout, stderr) = SharpBpfCli.RunWithInput("61  10  08  00  00  00  00  00  95  00  00  00  00  00  00  00  \n",
            "conformance-plugin", "01  02  03  04  ");
        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Contains("pc 0: ldxw %r0, [%r1+8]", stderr);
    }

    [Fact]
    public void ElfInputRunsTheProgramSection()
    {
        // As with the runner's --elf --xdp_prolog: the program lives in a section named xdp (.text is empty).
        var elf = File.ReadAllBytes(TestPrograms.Compile("xdp_pass.c"));
        var (exit, stdout, stderr) = SharpBpfCli.RunWithInput(Hex(elf) + "\n", "conformance-plugin", "--elf");
        Assert.True(exit == 0, stderr);
        Assert.Equal("2\n", stdout);
    }
}
