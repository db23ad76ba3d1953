using BenchmarkDotNet.Attributes;
using SharpBpf.Objects;
using SharpBpf.Vm;
using SharpBpf.Vm.Maps;

namespace SharpBpf.Bench;

/// <summary>VM hash map costs per operation (ns/op): user-space and program-side lookup and update over 1024 live keys.</summary>
[MemoryDiagnoser]
public unsafe class VmMapBenchmarks
{
    private const int Keys = 1024;
    private IVmMap _map = null!;
    private readonly byte[] _key = new byte[4];
    private readonly byte[] _value = new byte[8];

    private sealed class NoObjects : IVmObjectResolver
    {
        public object? Resolve(int id) => null;
    }

    [GlobalSetup]
    public void Setup()
    {
        var spec = new MapSpec { Name = "bench", Type = BpfMapType.Hash, KeySize = 4, ValueSize = 8, MaxEntries = 4096 };
        _map = VmMapFactory.Create(spec, new NoObjects(), Environment.ProcessorCount);
        for (uint k = 0; k < Keys; k++)
            _map.Update(BitConverter.GetBytes(k), BitConverter.GetBytes((ulong)k));
    }

    [GlobalCleanup]
    public void Cleanup() => _map.Dispose();

    [Benchmark(OperationsPerInvoke = Keys)]
    public bool UserLookup()
    {
        bool all = true;
        for (uint k = 0; k < Keys; k++)
        {
            BitConverter.TryWriteBytes(_key, k);
            all &= _map.TryLookup(_key, _value);
        }
        return all;
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    public void UserUpdate()
    {
        for (uint k = 0; k < Keys; k++)
        {
            BitConverter.TryWriteBytes(_key, k);
            _map.Update(_key, _value);
        }
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    public ulong ProgramLookup()
    {
        ulong sum = 0;
        for (uint k = 0; k < Keys; k++)
        {
            uint key = k;
            sum += *(ulong*)_map.LookupFromProgram((byte*)&key, 0);
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    public long ProgramUpdate()
    {
        long rc = 0;
        ulong value = 7;
        for (uint k = 0; k < Keys; k++)
        {
            uint key = k;
            rc |= _map.UpdateFromProgram((byte*)&key, (byte*)&value, 0, 0);
        }
        return rc;
    }
}
