using SharpBpf.Linux;
using SharpBpf.Objects;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux.Attach;

/// <summary>Compiles a test program and loads it into the kernel with <see cref="KernelEngine"/>; Dispose unloads it.</summary>
internal sealed class LoadedObject : IDisposable
{
    private readonly KernelCollection _collection;

    public LoadedObject(string sourceFile)
    {
        Spec = ObjectSpec.Load(TestPrograms.Compile(sourceFile));
        // libbpf sizes an unsized perf event array to the possible CPUs; KernelEngine does not (yet).
        foreach (var map in Spec.Maps.Where(m => m.Type == BpfMapType.PerfEventArray && m.MaxEntries == 0))
            map.MaxEntries = PossibleCpus.Count;
        _collection = new KernelEngine().Load(Spec);
    }

    public ObjectSpec Spec { get; }

    public KernelCollection Collection => _collection;

    public KernelProgram Program(string name) => _collection.Programs[name];

    public ProgramSpec ProgramSpec(string name) => Spec.FindProgram(name)!;

    public KernelMap Map(string name) => _collection.Maps[name];

    public ulong ReadU64(string map, uint key)
    {
        Span<byte> value = stackalloc byte[8];
        Assert.True(Map(map).TryLookup(BitConverter.GetBytes(key), value));
        return BitConverter.ToUInt64(value);
    }

    public void WriteU64(string map, uint key, ulong value) =>
        Map(map).Update(BitConverter.GetBytes(key), BitConverter.GetBytes(value));

    public void Dispose() => _collection.Dispose();
}
