using System.Text.Json;
using SharpBpf.Cli.Objdump;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Cli;

public class ObjectCliTests
{
    [Fact]
    public void ObjectShowListsProgramsMapsAndGlobalData()
    {
        var obj = TestPrograms.Compile("obj_btf_maps.c");
        var (code, stdout, stderr) = SharpBpfCli.Run("object", "show", obj);
        Assert.True(code == 0, stderr);
        Assert.Contains("license: Dual MIT/GPL", stdout);
        Assert.Matches(@"\n  xdp_main\s+xdp\s+xdp\s+xdp\s+\d+\n", stdout);
        Assert.Matches(@"\n  counts\s+hash\s+4\s+8\s+128\s+0x1", stdout);
        Assert.Matches(@"\n  outer\s+array_of_maps\s+4\s+4\s+2\s+0x0\s+inner array 4/4/8; values \[1\]=inner1", stdout);
        Assert.Matches(@"\n  obj_btf_\.rodata\s+\.rodata\s+12\s+0x480", stdout);
        Assert.Contains("BTF: yes", stdout);
    }

    [Fact]
    public void ObjectShowJson()
    {
        var obj = TestPrograms.Compile("obj_legacy_maps.c", bigEndian: true);
        var (code, stdout, stderr) = SharpBpfCli.Run("object", "show", obj, "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("big_endian").GetBoolean());
        Assert.Equal(0x050a00u, root.GetProperty("kernel_version").GetUInt32());
        var maps = root.GetProperty("maps").EnumerateArray().ToList();
        Assert.Equal(["packets", "flows", "trie"], maps.Select(m => m.GetProperty("name").GetString()));
        Assert.Equal("lru_hash", maps[1].GetProperty("type").GetString());
        Assert.Equal(24, maps[1].GetProperty("value_size").GetInt32());
        var programs = root.GetProperty("programs").EnumerateArray().ToList();
        Assert.All(programs, p => Assert.Equal("socket_filter", p.GetProperty("type").GetString()));
    }

    [Fact]
    public void ObjectShowReportsBadFilesOnOneLine()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sharpbpf-truncated-{Environment.ProcessId}.o");
        File.WriteAllBytes(path, File.ReadAllBytes(TestPrograms.Compile("xdp_pass.c"))[..100]);
        try
        {
            var (code, stdout, stderr) = SharpBpfCli.Run("object", "show", path);
            Assert.Equal(1, code);
            Assert.Matches($@"^sharpbpf: {System.Text.RegularExpressions.Regex.Escape(path)}: .+ \(at file offset 0x[0-9a-f]+\)\n$", stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(new[] { "-dr", "f.o" }, true, true, false, false, false)]
    [InlineData(new[] { "-d", "-r", "-h", "-s", "-t", "f.o" }, true, true, true, true, true)]
    [InlineData(new[] { "--disassemble", "--reloc", "--section-headers", "--full-contents", "--syms", "f.o" }, true, true, true, true, true)]
    [InlineData(new[] { "-thd", "f.o" }, true, false, true, false, true)]
    public void ParsesObjdumpFlags(string[] args, bool d, bool r, bool h, bool s, bool t)
    {
        var (options, files) = ObjdumpArguments.Parse(args);
        Assert.Equal((d, r, h, s, t), (options.Disassemble, options.Relocations, options.SectionHeaders, options.SectionContents, options.SymbolTable));
        Assert.Equal(["f.o"], files);
    }

    [Fact]
    public void ParsesSectionFilters()
    {
        var (options, _) = ObjdumpArguments.Parse(["-d", "--section=xdp", "-j", ".text", "-jlicense", "--section", "maps", "--no-show-raw-insn", "--print-imm-hex", "a.o"]);
        Assert.Equal(["xdp", ".text", "license", "maps"], options.Sections);
        Assert.True(options.NoShowRawInsn && options.PrintImmHex);
    }

    [Theory]
    [InlineData("-x", "f.o")]
    [InlineData("--bogus", "f.o")]
    [InlineData("-d")]
    [InlineData("f.o")]
    public void RejectsBadObjdumpArguments(params string[] args) => Assert.Throws<ArgumentException>(() => ObjdumpArguments.Parse(args));

    [Fact]
    public void ObjdumpUnknownOptionExitsNonZero()
    {
        var (code, _, stderr) = SharpBpfCli.Run("objdump", "-q", "x.o");
        Assert.Equal(1, code);
        Assert.StartsWith("sharpbpf: objdump: unknown option '-q'", stderr);
    }
}
