using System.Buffers.Binary;
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using SharpBpf.Isa.Assembly;
using SharpBpf.Objects;
using SharpBpf.Vm;

namespace SharpBpf.Bench;

/// <summary>
/// The VM interpreter and JIT on three workloads: a 1,000-iteration ALU loop, summing a 64-byte buffer, and an XDP
/// Ethernet/IPv4/UDP parse with a hash-map lookup (C in bench/programs, compiled by clang-14 at setup).
/// Quick check: <c>dotnet run -c Release --project bench/SharpBpf.Bench -- --filter '*Interpreter*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class InterpreterBenchmarks
{
    /// <summary>False: the interpreter; true: the JIT (the engine's default where dynamic code is supported).</summary>
    [Params(false, true)]
    public bool UseJit { get; set; }

    private VmEngine _engine = null!;
    private VmProgram _aluLoop = null!;
    private VmProgram _sum64 = null!;
    private VmProgram _parseLookup = null!;
    private readonly byte[] _buffer = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
    private readonly byte[] _packet = UdpPacket();

    [GlobalSetup]
    public void Setup()
    {
        _engine = new VmEngine(new VmOptions { UseJit = UseJit });
        _aluLoop = _engine.LoadProgram(Assembler.Assemble("""
            mov %r0, 0
            mov %r1, 1000
            loop:
            add %r0, %r1
            xor %r0, 0x5a
            lsh %r0, 1
            rsh %r0, 1
            sub %r1, 1
            jne %r1, 0, loop
            exit
            """));
        _sum64 = _engine.LoadProgram(Assembler.Assemble("""
            mov %r0, 0
            mov %r3, %r1
            add %r3, %r2
            loop:
            ldxdw %r4, [%r1+0]
            add %r0, %r4
            add %r1, 8
            jlt %r1, %r3, loop
            exit
            """));
        var collection = _engine.Load(ObjectSpec.Load(CompileParseLookup()));
        _parseLookup = collection.Program("parse_lookup");
        var key = new byte[8];
        _packet.AsSpan(30, 4).CopyTo(key);           // daddr
        _packet.AsSpan(36, 2).CopyTo(key.AsSpan(4)); // dport
        collection.Map("flows").Update(key, new byte[8]);
        if (_parseLookup.RunOnPacket(_packet) != 3)
            throw new InvalidOperationException("parse_lookup did not find its flow (expected XDP_TX)");
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.Dispose();

    [Benchmark(Description = "ALU loop, 1000 iterations (6 insns each)")]
    public ulong AluLoop() => _aluLoop.RunOnMemory([]);

    [Benchmark(Description = "Sum a 64-byte buffer")]
    public ulong Sum64() => _sum64.RunOnMemory(_buffer);

    [Benchmark(Description = "XDP Eth/IPv4/UDP parse + hash lookup")]
    public ulong ParseLookup() => _parseLookup.RunOnPacket(_packet);

    private static byte[] UdpPacket()
    {
        var p = new byte[64];
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(12), 0x0800);
        p[14] = 0x45; p[22] = 64; p[23] = 17;
        p[26] = 10; p[29] = 1; p[30] = 10; p[33] = 2;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(36), 53);
        return p;
    }

    private static string CompileParseLookup()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !Directory.Exists(Path.Combine(dir, "bench", "programs")))
            dir = Path.GetDirectoryName(dir);
        if (dir is null)
            throw new InvalidOperationException("bench/programs not found above " + AppContext.BaseDirectory);
        var source = Path.Combine(dir, "bench", "programs", "parse_lookup.c");
        var output = Path.Combine(Path.GetTempPath(), $"sharpbpf_bench_parse_lookup_{Environment.ProcessId}.o");
        var psi = new ProcessStartInfo("clang-14", ["-target", "bpfel", "-mcpu=v3", "-O2", "-g", "-I/usr/include/x86_64-linux-gnu", "-c", source, "-o", output])
        {
            RedirectStandardError = true,
        };
        using var clang = Process.Start(psi)!;
        var errors = clang.StandardError.ReadToEnd();
        clang.WaitForExit();
        if (clang.ExitCode != 0)
            throw new InvalidOperationException("clang-14 failed: " + errors);
        return output;
    }
}
