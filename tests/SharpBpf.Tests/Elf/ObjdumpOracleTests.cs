using SharpBpf.Elf;
using SharpBpf.Cli.Objdump;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Elf;

/// <summary>Our objdump output against the real llvm-objdump 14, byte for byte, on every test program and build.</summary>
public class ObjdumpOracleTests
{
    private static readonly string[][] OptionSets =
    [
        ["-h", "-t", "-r", "-s"],
        ["-dr"],
        ["-d", "--no-show-raw-insn", "--print-imm-hex"],
        ["-d"],
        ["-Dr"],
    ];

    public static TheoryData<string, string, bool> Builds()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var file in TestPrograms.All())
        {
            foreach (var cpu in new[] { "v1", "v2", "v3" }.Where(c => TestPrograms.SupportsCpu(file, c)))
                data.Add(file, cpu, false);
            data.Add(file, "v3", true);
        }
        return data;
    }

    [SkippableTheory, MemberData(nameof(Builds))]
    public void MatchesLlvmObjdump(string file, string cpu, bool bigEndian)
    {
        var llvm = Requirements.Tool("llvm-objdump");
        var obj = TestPrograms.Compile(file, cpu, bigEndian);
        var elf = ElfFile.Load(obj);
        var sets = OptionSets.ToList();
        // One executable section alone, with inline relocations, and a data section disassembled on request.
        if (elf.Sections.FirstOrDefault(s => s.IsExecutable && s.Size > 0 && s.Name != ".text") is { } exec)
            sets.Add(["-dr", "--section=" + exec.Name]);
        if (elf.Sections.FirstOrDefault(s => s.Name is ".data" or ".bss" or ".maps" or "maps") is { } data)
            sets.Add(["-d", "-j", data.Name, "-s"]);
        foreach (var options in sets)
        {
            var (code, expected, stderr) = TestPrograms.Run(llvm, [.. options, obj]);
            Assert.True(code == 0, $"llvm-objdump {string.Join(' ', options)} failed: {stderr}");
            var actual = ObjdumpRenderer.Render(elf, obj, ObjdumpArguments.Parse([.. options, obj]).Options);
            AssertSameText(expected, actual, $"{file} ({cpu}, {(bigEndian ? "bpfeb" : "bpfel")}) with {string.Join(' ', options)}");
        }
    }

    /// <summary>Sources in subfolders of tests/programs: C files (built for v3 only, as some need it) and llvm-mc assembly.</summary>
    public static TheoryData<string, bool> ExtraSources()
    {
        var data = new TheoryData<string, bool>();
        foreach (var path in Directory.EnumerateFiles(TestPrograms.SourceDir, "*.*", SearchOption.AllDirectories).Order())
        {
            var relative = Path.GetRelativePath(TestPrograms.SourceDir, path);
            if (!relative.Contains(Path.DirectorySeparatorChar) || Path.GetExtension(path) is not (".c" or ".s"))
                continue;
            data.Add(relative, false);
            data.Add(relative, true);
        }
        return data;
    }

    [SkippableTheory, MemberData(nameof(ExtraSources))]
    public void MatchesLlvmObjdumpOnSubfolderSources(string source, bool bigEndian)
    {
        var llvm = Requirements.Tool("llvm-objdump");
        string obj;
        string? temporary = null;
        if (source.EndsWith(".c", StringComparison.Ordinal))
        {
            obj = TestPrograms.Compile(source, "v3", bigEndian);
        }
        else
        {
            var mc = Requirements.Tool("llvm-mc-14");
            Directory.CreateDirectory(TestPrograms.CacheDir);
            obj = temporary = Path.Combine(TestPrograms.CacheDir, $"{Path.GetFileNameWithoutExtension(source)}.{(bigEndian ? "bpfeb" : "bpfel")}.{Environment.ProcessId}.o");
            var (asmCode, _, asmErr) = TestPrograms.Run(mc, ["-triple", bigEndian ? "bpfeb" : "bpfel", "-mcpu=v3", "-filetype=obj",
                Path.Combine(TestPrograms.SourceDir, source), "-o", obj]);
            Assert.True(asmCode == 0, asmErr);
        }
        try
        {
            var elf = ElfFile.Load(obj);
            string[][] sets = [.. OptionSets, ["-dr", "-j", ".data"], ["-d", "--section=nosym", "--print-imm-hex"]];
            foreach (var options in sets)
            {
                var expected = TestPrograms.Run(llvm, [.. options, obj]).Stdout;
                var actual = ObjdumpRenderer.Render(elf, obj, ObjdumpArguments.Parse([.. options, obj]).Options);
                AssertSameText(expected, actual, $"{source} ({(bigEndian ? "bpfeb" : "bpfel")}) with {string.Join(' ', options)}");
            }
        }
        finally
        {
            if (temporary is not null)
                File.Delete(temporary);
        }
    }

    /// <summary>clang writes REL only: rewrite every relocation section as RELA (appended at the end of the file) with
    /// positive, negative and zero addends, and compare -r and -dr.</summary>
    [SkippableTheory, InlineData(false), InlineData(true)]
    public void MatchesLlvmObjdumpOnRelaSections(bool bigEndian)
    {
        var llvm = Requirements.Tool("llvm-objdump");
        var original = TestPrograms.CompileBytes("obj_btf_maps.c", "v3", bigEndian);
        var elf = ElfFile.Parse(original);
        var bytes = new List<byte>(original);
        var headers = new List<(long At, ulong Offset, ulong Size)>();
        long[] addends = [0, 8, -16, 0x1234];
        foreach (var section in elf.Sections.Where(s => s.Type == ElfSectionType.Rel))
        {
            while (bytes.Count % 8 != 0)
                bytes.Add(0);
            var table = elf.GetRelocations(section);
            var start = (ulong)bytes.Count;
            for (int i = 0; i < table.Count; i++)
            {
                var entry = original.AsSpan((int)table.EntryOffset(i), 16).ToArray();
                bytes.AddRange(entry);
                var addend = new byte[8];
                if (bigEndian) System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(addend, addends[i % addends.Length]);
                else System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(addend, addends[i % addends.Length]);
                bytes.AddRange(addend);
            }
            headers.Add((section.HeaderOffset, start, (ulong)table.Count * 24));
        }
        var rela = bytes.ToArray();
        foreach (var (at, offset, size) in headers)
        {
            Write32(rela, at + 4, (uint)ElfSectionType.Rela, bigEndian);
            Write64(rela, at + 24, offset, bigEndian);
            Write64(rela, at + 32, size, bigEndian);
            Write64(rela, at + 56, 24, bigEndian);
        }
        var path = Path.Combine(TestPrograms.CacheDir, $"rela.{bigEndian}.{Environment.ProcessId}.o");
        File.WriteAllBytes(path, rela);
        try
        {
            var parsed = ElfFile.Load(path);
            foreach (var options in new[] { new[] { "-r" }, ["-dr"] })
            {
                var expected = TestPrograms.Run(llvm, [.. options, path]).Stdout;
                Assert.Contains("-0x10", expected);
                var actual = ObjdumpRenderer.Render(parsed, path, ObjdumpArguments.Parse([.. options, path]).Options);
                AssertSameText(expected, actual, $"RELA object with {string.Join(' ', options)}");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void Write32(byte[] b, long at, uint v, bool be)
    {
        if (be) System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan((int)at), v);
        else System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan((int)at), v);
    }

    private static void Write64(byte[] b, long at, ulong v, bool be)
    {
        if (be) System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan((int)at), v);
        else System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan((int)at), v);
    }

    [SkippableFact]
    public void CliPrintsTheSameAsLlvmObjdump()
    {
        var llvm = Requirements.Tool("llvm-objdump");
        var obj = TestPrograms.Compile("obj_btf_maps.c");
        var expected = TestPrograms.Run(llvm, ["-dr", "-h", obj]).Stdout;
        var (code, stdout, stderr) = SharpBpfCli.Run("objdump", "-dr", "-h", obj);
        Assert.True(code == 0, stderr);
        AssertSameText(expected, stdout, "sharpbpf objdump -dr -h");
    }

    [Fact]
    public void CliReportsABadFileOnOneLine()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sharpbpf-not-elf-{Environment.ProcessId}.o");
        File.WriteAllText(path, "this is not an ELF file at all, just text");
        try
        {
            var (code, stdout, stderr) = SharpBpfCli.Run("objdump", "-d", path);
            Assert.NotEqual(0, code);
            Assert.Equal($"sharpbpf: {path}: not an ELF file (bad magic) (at file offset 0x0)\n", stderr);
            Assert.Equal("", stdout);
        }
        finally
        {
            File.Delete(path);
        }
    }

    internal static void AssertSameText(string expected, string actual, string what)
    {
        if (expected == actual)
            return;
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        int i = 0;
        while (i < e.Length && i < a.Length && e[i] == a[i])
            i++;
        Assert.Fail($"{what}: first difference at line {i + 1}\n  llvm-objdump: {(i < e.Length ? Show(e[i]) : "<end>")}\n  sharpbpf:     {(i < a.Length ? Show(a[i]) : "<end>")}");
    }

    private static string Show(string line) => line.Replace("\t", "\\t");
}
