using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using SharpBpf.Elf;
using SharpBpf.Objects;
using SharpBpf.Cli.Objdump;

/// <summary>
/// In-process cost of reading a large object (bench/objdump/big_program.c, ~41,600 instructions, compiled with
/// clang-14 at setup): ELF parse, ObjectSpec parse + linking every program, and the objdump -dr rendering.
/// bench/compare-objdump.sh measures the whole process against llvm-objdump.
/// </summary>
[MemoryDiagnoser]
public class ObjectBenchmarks
{
    private byte[] _bytes = [];
    private readonly ObjdumpOptions _objdump = ObjdumpArguments.Parse(["-dr", "big.o"]).Options;

    [GlobalSetup]
    public void Setup()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "SharpBpf.slnx")))
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        var output = Path.Combine(Path.GetTempPath(), $"sharpbpf-bench-big-{Environment.ProcessId}.o");
        var psi = new ProcessStartInfo("clang-14", ["-target", "bpfel", "-O2", "-g", "-I/usr/include/x86_64-linux-gnu",
            "-c", Path.Combine(root, "bench", "objdump", "big_program.c"), "-o", output]) { RedirectStandardError = true };
        using (var clang = Process.Start(psi)!)
        {
            clang.StandardError.ReadToEnd();
            clang.WaitForExit();
            if (clang.ExitCode != 0)
                throw new InvalidOperationException("clang-14 failed on big_program.c");
        }
        _bytes = File.ReadAllBytes(output);
        File.Delete(output);
    }

    [Benchmark]
    public int ParseElf() => ElfFile.Parse(_bytes).Sections.Count;

    [Benchmark]
    public int ParseObjectAndLink()
    {
        var obj = ObjectSpec.Parse(_bytes, "big.o");
        int total = 0;
        foreach (var program in obj.Programs)
            total += ProgramLinker.Link(obj, program).Instructions.Length;
        return total;
    }

    [Benchmark]
    public void ObjdumpDisassembleWithRelocations() =>
        ObjdumpRenderer.Render(ElfFile.Parse(_bytes, "big.o"), "big.o", _objdump, TextWriter.Null);
}
