using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharpBpf.Linux;
using SharpBpf.Maps;
using SharpBpf.Objects;
using SharpBpf.Vm;

namespace SharpBpf.Skeletons;

/// <summary>
/// The base of every class <c>sharpbpf gen skeleton</c> writes: an embedded BPF object that is opened (parsed, its
/// global data editable), then loaded into the VM or the kernel, exposing its maps, programs and global variables.
/// <para>Global data (.data, .bss, .rodata) is reached by reference: before <see cref="Load(SkeletonEngine)"/> the
/// references point at the initial values (what is written there is what the maps are created with); after it, .data
/// and .bss references point at the live map memory (the VM's native value memory, or the kernel map mapped with mmap),
/// while .rodata keeps pointing at the values it was loaded with, since the map is frozen.</para>
/// </summary>
public abstract unsafe class BpfSkeleton : IDisposable
{
    private readonly Dictionary<string, nint> _initialData = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _initialDataSize = new(StringComparer.Ordinal);
    private readonly Dictionary<string, object> _typedMaps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, nint> _globalData = new(StringComparer.Ordinal); // section → memory, checked once
    private ISkeletonBackend? _backend;
    private bool _disposed;

    /// <summary>Opens the object: parses <paramref name="objectBytes"/> (named <paramref name="objectFileName"/>, which
    /// gives the object and global data map names).</summary>
    protected BpfSkeleton(byte[] objectBytes, string objectFileName)
    {
        ArgumentNullException.ThrowIfNull(objectBytes);
        Spec = ObjectSpec.Parse(objectBytes, objectFileName);
        if (Spec.BigEndian)
            throw new BpfException($"object '{objectFileName}' is big-endian; skeletons describe little-endian objects");
        try
        {
            foreach (var map in Spec.Maps)
            {
                if (map.DataSection is null || _initialData.ContainsKey(map.DataSection))
                    continue;
                var memory = (byte*)NativeMemory.AllocZeroed((nuint)Math.Max(map.ValueSize, 1));
                _initialData.Add(map.DataSection, (nint)memory);
                _initialDataSize.Add(map.DataSection, map.ValueSize);
                map.InitialValue?.AsSpan(0, Math.Min(map.InitialValue.Length, map.ValueSize)).CopyTo(new Span<byte>(memory, map.ValueSize));
            }
        }
        catch
        {
            FreeInitialData();
            throw;
        }
    }

    /// <summary>The parsed object: edit map sizes, flags or names here before loading.</summary>
    public ObjectSpec Spec { get; }

    public bool IsLoaded => _backend is not null;

    /// <summary>The engine the skeleton was loaded into; null before <see cref="Load(SkeletonEngine)"/>.</summary>
    public SkeletonEngine? Engine => _backend?.Engine;

    /// <summary>The VM's live objects when loaded into the VM, else null.</summary>
    public VmCollection? Vm => (_backend as VmSkeletonBackend)?.Collection;

    /// <summary>The kernel's live objects when loaded into the kernel, else null.</summary>
    public KernelCollection? Kernel => (_backend as KernelSkeletonBackend)?.Collection;

    /// <summary>Creates the maps (with the global data as set so far) and loads the programs into <paramref name="engine"/>.</summary>
    public void Load(SkeletonEngine engine = SkeletonEngine.Vm)
    {
        BeginLoad();
        switch (engine)
        {
            case SkeletonEngine.Vm:
                var vm = new VmEngine();
                try
                {
                    _backend = new VmSkeletonBackend(vm, vm.Load(Spec), ownsEngine: true);
                }
                catch
                {
                    vm.Dispose();
                    throw;
                }
                break;
            case SkeletonEngine.Kernel:
                _backend = new KernelSkeletonBackend(new KernelEngine().Load(Spec));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(engine), engine, "unknown engine");
        }
    }

    /// <summary>Loads into an existing VM engine; disposing the skeleton frees its maps and programs there.</summary>
    public void Load(VmEngine engine)
    {
        ArgumentNullException.ThrowIfNull(engine);
        BeginLoad();
        _backend = new VmSkeletonBackend(engine, engine.Load(Spec), ownsEngine: false);
    }

    /// <summary>Loads into the kernel with <paramref name="options"/>.</summary>
    public void Load(KernelEngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        BeginLoad();
        _backend = new KernelSkeletonBackend(new KernelEngine(options).Load(Spec));
    }

    private void BeginLoad()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_backend is not null)
            throw new InvalidOperationException($"the skeleton of '{Spec.Name}' is already loaded ({_backend.Engine})");
        foreach (var map in Spec.Maps)
        {
            // Every writable section is reached through its mapped memory. ObjectReader sets BPF_F_MMAPABLE from ELF
            // symbol visibility, libbpf from BTF linkage: a section of only hidden globals is exposed here all the same.
            if (map.Type == BpfMapType.Array && map.IsGlobalData && !map.IsReadOnlyData)
                map.Flags |= ObjectReader.MmapableFlag;
            if (map.DataSection is { } section && _initialData.TryGetValue(section, out var memory))
            {
                var value = new byte[map.ValueSize]; // the spec may have been resized since it was opened
                new ReadOnlySpan<byte>((byte*)memory, Math.Min(map.ValueSize, _initialDataSize[section])).CopyTo(value);
                map.InitialValue = value;
            }
        }
    }

    /// <summary>The live map named <paramref name="name"/>.</summary>
    protected IBpfMap GetMap(string name) => Backend(name).Map(name);

    /// <summary>The live map named <paramref name="name"/> as a typed view (created once).</summary>
    protected BpfMap<TKey, TValue> GetTypedMap<TKey, TValue>(string name)
        where TKey : unmanaged
        where TValue : unmanaged
    {
        if (_typedMaps.TryGetValue(name, out var typed))
            return (BpfMap<TKey, TValue>)typed;
        var map = new BpfMap<TKey, TValue>(Backend(name).Map(name));
        _typedMaps.Add(name, map);
        return map;
    }

    /// <summary>The live per-CPU map named <paramref name="name"/> as a typed view (created once).</summary>
    protected PerCpuMap<TKey, TValue> GetPerCpuMap<TKey, TValue>(string name)
        where TKey : unmanaged
        where TValue : unmanaged
    {
        if (_typedMaps.TryGetValue(name, out var typed))
            return (PerCpuMap<TKey, TValue>)typed;
        var map = new PerCpuMap<TKey, TValue>(Backend(name).Map(name));
        _typedMaps.Add(name, map);
        return map;
    }

    /// <summary>The loaded program named <paramref name="name"/>.</summary>
    protected SkeletonProgram GetProgram(string name) => Backend(name).Program(name);

    /// <summary>
    /// The global variables of data section <paramref name="section"/> as <typeparamref name="T"/> (a struct of the
    /// section's size): the initial values before loading; the live memory of .data/.bss maps after.
    /// </summary>
    protected ref T GetGlobalData<T>(string section) where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_globalData.TryGetValue(section, out var memory))
        {
            var spec = Spec.Maps.Find(m => m.DataSection == section)
                ?? throw new BpfNotFoundException("global data section", section, $"object '{Spec.Name}' has no global data section '{section}'");
            int size = _backend is null || spec.IsReadOnlyData ? _initialDataSize.GetValueOrDefault(section) : spec.ValueSize;
            if (Unsafe.SizeOf<T>() > size)
                throw new BpfException($"{typeof(T).Name} is {Unsafe.SizeOf<T>()} bytes but section '{section}' holds {size}: the skeleton is out of date");
            memory = _backend is null || spec.IsReadOnlyData ? _initialData[section] : (nint)_backend.GlobalData(spec);
            if (_backend is not null)
                _globalData[section] = memory; // before loading, a resized map spec must still be checked on the next access
        }
        return ref Unsafe.AsRef<T>((void*)memory);
    }

    private ISkeletonBackend Backend(string what)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _backend ?? throw new InvalidOperationException($"'{what}' of object '{Spec.Name}' exists only after Load(): load the skeleton first");
    }

    private void FreeInitialData()
    {
        foreach (var memory in _initialData.Values)
            NativeMemory.Free((void*)memory);
        _initialData.Clear();
        _initialDataSize.Clear();
    }

    /// <summary>Releases the loaded maps and programs (and the engine the skeleton created) and the initial data.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _backend?.Dispose();
        _backend = null;
        _typedMaps.Clear();
        _globalData.Clear();
        FreeInitialData();
        GC.SuppressFinalize(this);
    }
}
