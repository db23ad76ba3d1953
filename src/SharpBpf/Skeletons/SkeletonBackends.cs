using SharpBpf.Linux;
using SharpBpf.Maps;
using SharpBpf.Objects;
using SharpBpf.Vm;
using SharpBpf.Vm.Maps;

namespace SharpBpf.Skeletons;

/// <summary>The engine-neutral seam a skeleton is written against: a loaded object's maps, programs and global data memory.</summary>
internal unsafe interface ISkeletonBackend : IDisposable
{
    SkeletonEngine Engine { get; }
    IBpfMap Map(string name);
    SkeletonProgram Program(string name);
    /// <summary>The live, writable value memory of a global data map (.data, .bss) that stays valid until disposal.</summary>
    byte* GlobalData(MapSpec spec);
}

/// <summary>An object loaded into a <see cref="VmEngine"/>: global data is the array map's native value memory.</summary>
internal sealed unsafe class VmSkeletonBackend(VmEngine engine, VmCollection collection, bool ownsEngine) : ISkeletonBackend
{
    private readonly Dictionary<string, SkeletonProgram> _programs = new(StringComparer.Ordinal);

    public VmEngine EngineInstance => engine;
    public VmCollection Collection => collection;
    public SkeletonEngine Engine => SkeletonEngine.Vm;

    public IBpfMap Map(string name) => collection.Map(name);

    public SkeletonProgram Program(string name)
    {
        if (!_programs.TryGetValue(name, out var program))
            _programs[name] = program = new SkeletonProgram(collection.Program(name));
        return program;
    }

    public byte* GlobalData(MapSpec spec)
    {
        if (collection.Map(spec.Name) is not VmArrayMap array)
            throw new BpfException($"global data map '{spec.Name}' is not an array map in the VM");
        return array.ElementAddress(0);
    }

    public void Dispose()
    {
        collection.Dispose();
        if (ownsEngine)
            engine.Dispose();
    }
}

/// <summary>An object loaded into the kernel: global data is the map's value memory mapped with mmap.</summary>
internal sealed unsafe class KernelSkeletonBackend(KernelCollection collection) : ISkeletonBackend
{
    private readonly Dictionary<string, SkeletonProgram> _programs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, KernelMapMemory> _mapped = new(StringComparer.Ordinal);

    public KernelCollection Collection => collection;
    public SkeletonEngine Engine => SkeletonEngine.Kernel;

    public IBpfMap Map(string name) => MapCore(name);

    private KernelMap MapCore(string name) => collection.Map(name);

    public SkeletonProgram Program(string name)
    {
        if (!_programs.TryGetValue(name, out var program))
        {
            _programs[name] = program = new SkeletonProgram(collection.Program(name));
        }
        return program;
    }

    public byte* GlobalData(MapSpec spec)
    {
        if (!_mapped.TryGetValue(spec.Name, out var memory))
            _mapped[spec.Name] = memory = KernelMapMemory.Map(MapCore(spec.Name), writable: true);
        return memory.Address;
    }

    public void Dispose()
    {
        foreach (var memory in _mapped.Values)
            memory.Dispose();
        _mapped.Clear();
        collection.Dispose();
    }
}
