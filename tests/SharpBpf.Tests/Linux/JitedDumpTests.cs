using System.Text.RegularExpressions;
using SharpBpf.Linux;
using SharpBpf.Cli.Bpftool;
using SharpBpf.Objects;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux;

/// <summary>Our x86-64 JIT disassembly against objdump's on the same image (what a libbfd-enabled bpftool prints).</summary>
public partial class JitedDumpTests
{
    [SkippableTheory]
    [InlineData("kernel_counter.c")]
    [InlineData("obj_global_data.c")]
    [InlineData("obj_btf_maps.c")]
    public void DisassemblyMatchesObjdump(string file)
    {
        Requirements.Kernel();
        var objdump = Requirements.Tool("objdump");
        using var collection = new KernelEngine().Load(ObjectSpec.Load(TestPrograms.Compile(file)));
        foreach (var program in collection.Programs.Values)
        {
            var image = program.Info(KernelObjectInfo.ProgramParts.Jited).Jited!;
            var bin = Path.GetTempFileName();
            try
            {
                File.WriteAllBytes(bin, image);
                var (code, stdout, stderr) = TestPrograms.Run(objdump, ["-D", "-b", "binary", "-mi386:x86-64", bin]);
                Assert.True(code == 0, stderr);
                var expected = ObjdumpLine().Matches(stdout).Select(m => (Convert.ToInt32(m.Groups[1].Value, 16), Regex.Replace(m.Groups[2].Value.TrimEnd(), @"\s+#.*$", ""))).ToList();
                var actual = JitedDump.Instructions(image).Select(i => (i.Pc, i.Text)).ToList();
                var mismatches = expected.Zip(actual).Where(p => p.First != p.Second).Take(10).Select(p => $"objdump {p.First} ours {p.Second}").ToList();
                Assert.True(mismatches.Count == 0 && expected.Count == actual.Count, $"{expected.Count} vs {actual.Count} insns\n" + string.Join('\n', mismatches));
            }
            finally
            {
                File.Delete(bin);
            }
        }
    }

    [SkippableFact]
    public void CliPrintsOneBlockPerFunctionWithSourceLines()
    {
        Requirements.Kernel();
        using var fs = new PrivateBpfFs();
        using var collection = new KernelEngine().Load(ObjectSpec.Load(TestPrograms.Compile("kernel_counter.c")));
        var pin = Path.Combine(fs.Path, "count");
        collection.Programs["count_packets"].Pin(pin);
        var (code, stdout, stderr) = SharpBpfCli.Run("prog", "dump", "jited", "pinned", pin);
        Assert.True(code == 0, stderr);
        Assert.Matches(@"^bpf_prog_[0-9a-f]{16}_count_packets:\n; int count_packets\(struct xdp_md \*ctx\)\n   0:\t", stdout);
        Assert.Matches(@"\n\nbpf_prog_[0-9a-f]{16}_add_hit:\n", stdout);
        var (jcode, json, _) = SharpBpfCli.Run("prog", "dump", "jited", "pinned", pin, "opcodes", "-j");
        Assert.Equal(0, jcode);
        var doc = System.Text.Json.JsonDocument.Parse(json).RootElement;
        Assert.Equal(2, doc.GetArrayLength());
        var first = doc[0].GetProperty("insns")[0];
        Assert.Equal("0x0", first.GetProperty("pc").GetString());
        Assert.True(first.GetProperty("opcodes").GetArrayLength() > 0);
        Assert.Equal("nopl", first.GetProperty("operation").GetString());
        Assert.Equal(["0x0(%rax,%rax,1)"], first.GetProperty("operands").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void OperandsSplitOutsideParentheses()
    {
        var (op, operands) = JitedDump.SplitOperands("mov    0x8(%rbx,%rcx,1),%r13");
        Assert.Equal("mov", op);
        Assert.Equal(["0x8(%rbx,%rcx,1)", "%r13"], operands);
        var (leave, none) = JitedDump.SplitOperands("leave");
        Assert.Equal("leave", leave);
        Assert.Empty(none);
    }

    [GeneratedRegex(@"^\s*([0-9a-f]+):\t(?:[0-9a-f]{2} )+\s*\t(.*)$", RegexOptions.Multiline)]
    private static partial Regex ObjdumpLine();
}
