using SharpBpf.Cli.Bpftool;
using BenchmarkDotNet.Attributes;
using SharpBpf.Btf;

namespace SharpBpf.Bench;

/// <summary>In-process cost of parsing the kernel's BTF and printing it (steady state, without process startup).</summary>
[MemoryDiagnoser]
public class BtfBenchmarks
{
    private byte[] _vmlinux = [];
    private BtfSpec _spec = null!;

    [GlobalSetup]
    public void Setup()
    {
        _vmlinux = File.ReadAllBytes("/sys/kernel/btf/vmlinux");
        _spec = BtfSpec.Parse(_vmlinux);
        for (uint id = 1; id < _spec.Count; id++)
            _ = _spec[id];
    }

    [Benchmark]
    public int Parse() => BtfSpec.Parse(_vmlinux).Count;

    [Benchmark]
    public int ParseAndDecodeAll()
    {
        var spec = BtfSpec.Parse(_vmlinux);
        for (uint id = 1; id < spec.Count; id++)
            _ = spec[id];
        return spec.Count;
    }

    [Benchmark]
    public void PrintC() => BtfCPrinter.PrintHeader(_spec, TextWriter.Null);

    [Benchmark]
    public void PrintRaw() => BtfRawPrinter.Print(_spec, TextWriter.Null);

    [Benchmark]
    public byte[] Write() => _spec.ToBytes();
}
