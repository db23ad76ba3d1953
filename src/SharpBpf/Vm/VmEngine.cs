using SharpBpf.Isa;
using SharpBpf.Objects;
using SharpBpf.Vm.Maps;

namespace SharpBpf.Vm;

/// <summary>
/// The embedded eBPF VM: owns maps (in native memory) and loaded programs, gives each an id that user space uses the way
/// it would use a file descriptor (a program id in a PROG_ARRAY slot, a map id in a map-of-maps slot or in
/// <c>ld_imm64 src=1</c>). Dispose it to free all native memory.
/// </summary>
public sealed class VmEngine : IBpfEngine, IVmObjectResolver
{
    private readonly object _lock = new();
    private readonly List<object?> _objects = [null]; // id 0 is never used
    private IVmMap?[] _mapsByIdSnapshot = [null];     // copy-on-write view of the maps by id, for lock-free reads during runs
    private readonly Dictionary<object, int> _ids = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<IVmMap, long> _ownedMaps = new(ReferenceEqualityComparer.Instance); // and the bytes each takes
    private long _mapMemory; // what the owned maps take, as VmOptions.MaxMapMemory counts it
    private readonly Stack<VmCallContext> _pool = new();
    private bool _disposed;

    public VmEngine(VmOptions? options = null)
    {
        Options = options ?? new VmOptions();
        if (Options.CpuCount < 1 || Options.CurrentCpu < 0 || Options.CurrentCpu >= Options.CpuCount)
            throw new ArgumentException($"CurrentCpu {Options.CurrentCpu} must be below CpuCount {Options.CpuCount}", nameof(options));
        if (Options.MaxMapMemory < 0 || Options.MaxJitInstructions < 0 || Options.MaxInstructions < 1)
            throw new ArgumentException("MaxMapMemory, MaxJitInstructions and MaxInstructions must not be negative (MaxInstructions at least 1)", nameof(options));
        if (Options.InstructionBudget < 1)
            throw new ArgumentException("the instruction budget must be positive", nameof(options));
        Helpers = Options.Helpers ?? VmHelperTable.CreateDefault();
        _seededRandom = Options.RandomSeed is { } seed ? new Random(seed) : null;
    }

    public VmOptions Options { get; }

    /// <inheritdoc />
    public string Name => "vm";

    /// <summary>The helpers programs loaded from now on may call; add your own before loading.</summary>
    public VmHelperTable Helpers { get; }

    private readonly Random? _seededRandom;

    /// <summary>bpf_get_prandom_u32: reproducible when <see cref="VmOptions.RandomSeed"/> is set (then serialized across threads).</summary>
    internal uint NextRandom()
    {
        if (_seededRandom is null)
            return (uint)Random.Shared.NextInt64(0, 1L << 32);
        lock (_seededRandom)
            return (uint)_seededRandom.NextInt64(0, 1L << 32);
    }

    /// <summary>Every map of the engine, for the bounds check's map-region scan (replaced, never mutated).</summary>
    internal IVmMap[] MapsSnapshot { get; private set; } = [];

    /// <summary>Creates a map from <paramref name="spec"/> (checked as the kernel's BPF_MAP_CREATE) and registers it.</summary>
    public IVmMap CreateMap(MapSpec spec)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(spec);
        VmMapValidation.Validate(spec, Options.CpuCount, checkSize: false);
        long bytes;
        lock (_lock)
            _mapMemory += bytes = VmMapValidation.CheckMemory(spec, Options.CpuCount, _mapMemory, Options.MaxMapMemory);
        IVmMap map;
        try
        {
            map = VmMapFactory.Create(spec, this, Options.CpuCount);
        }
        catch
        {
            lock (_lock)
                _mapMemory -= bytes;
            throw;
        }
        lock (_lock)
            _ownedMaps.Add(map, bytes);
        Register(map);
        return map;
    }

    /// <summary>Forgets a map or program of this engine: its id resolves to nothing from now on, and a map the engine
    /// created is freed (its memory no longer counts against <see cref="VmOptions.MaxMapMemory"/>).</summary>
    internal void Release(object item)
    {
        lock (_lock)
        {
            if (_ids.Remove(item, out int id))
            {
                _objects[id] = null;
                PublishSnapshots();
            }
            if (item is IVmMap map && _ownedMaps.Remove(map, out long bytes))
            {
                _mapMemory -= bytes;
                map.Dispose();
            }
        }
    }

    private void PublishSnapshots()
    {
        Volatile.Write(ref _mapsByIdSnapshot, [.. _objects.Select(o => o as IVmMap)]);
        MapsSnapshot = [.. _objects.OfType<IVmMap>()];
    }

    /// <summary>Registers a map made elsewhere (the engine does not dispose it); returns its id. Idempotent.</summary>
    public int Register(IVmMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return RegisterObject(map);
    }

    private int RegisterObject(object item)
    {
        lock (_lock)
        {
            if (_ids.TryGetValue(item, out int id))
                return id;
            id = _objects.Count;
            _objects.Add(item);
            _ids.Add(item, id);
            PublishSnapshots();
            return id;
        }
    }

    /// <summary>The id of a map or program of this engine (registering a map that is not yet known).</summary>
    public int IdOf(object item)
    {
        lock (_lock)
        {
            if (_ids.TryGetValue(item, out int id))
                return id;
        }
        return item is IVmMap map ? Register(map) : throw new ArgumentException("not an object of this engine", nameof(item));
    }

    /// <inheritdoc />
    public object? Resolve(int id)
    {
        lock (_lock)
            return id > 0 && id < _objects.Count ? _objects[id] : null;
    }

    internal IVmMap? MapById(int id)
    {
        var maps = Volatile.Read(ref _mapsByIdSnapshot);
        return (uint)id < (uint)maps.Length ? maps[id] : null;
    }

    /// <summary>
    /// Loads raw instructions. <c>ld_imm64</c> with src 1/2 refers to maps by engine id; src 5/6 by index into
    /// <paramref name="maps"/> (the kernel's fd_array). Throws <see cref="VmLoadException"/> for a program the VM cannot run.
    /// </summary>
    public VmProgram LoadProgram(Instruction[] instructions, BpfProgramType type = BpfProgramType.Unspec, string name = "prog",
        params IVmMap[] maps) => LoadProgram(instructions, type, name, null, null, maps);

    /// <summary>Loads raw instructions whose CO-RE-poisoned slots (<c>call 0xbad2310</c>) are explained by <paramref name="poisoned"/>.</summary>
    internal VmProgram LoadProgram(Instruction[] instructions, BpfProgramType type, string name, IReadOnlyDictionary<int, string>? poisoned,
        VmProgramOrigin? origin, params IVmMap[] maps)
    {
        ArgumentNullException.ThrowIfNull(instructions);
        ThrowIfDisposed();
        if (instructions.Length > Options.MaxInstructions)
            throw new VmLoadException($"program '{name}' has {instructions.Length} instructions, more than VmOptions.MaxInstructions " +
                $"({Options.MaxInstructions}, the kernel's limit by default); raise it to load longer programs");
        foreach (var map in maps)
            Register(map);
        var code = VmCode.Decode(instructions, name, type, Helpers, MapById, m => IdOf(m), maps, poisoned, Options.CurrentCpu);
        code.Verified = VmLoadVerifier.Check(this, code, maps, origin, poisoned);
        var program = new VmProgram(this, code);
        program.Id = RegisterObject(program);
        return program;
    }

    /// <summary>
    /// Loads an object: creates its maps (global data with initial values, .rodata frozen), links each program with its
    /// subprograms, resolves map and global-data references, fills PROG_ARRAY and map-of-maps slots declared with
    /// <c>.values</c>. Throws <see cref="VmLoadException"/> for a program the VM cannot run.
    /// </summary>
    public VmCollection Load(ObjectSpec obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        ThrowIfDisposed();
        if (obj.BigEndian != !BitConverter.IsLittleEndian)
            throw new VmLoadException($"object '{obj.Name}' is {(obj.BigEndian ? "big" : "little")}-endian; the VM runs programs in the host's byte order (build with -target bpf{(BitConverter.IsLittleEndian ? "el" : "eb")})");
        return VmObjectLoader.Load(this, obj);
    }

    IBpfCollection IBpfEngine.Load(ObjectSpec obj) => Load(obj);

    internal VmCallContext Rent()
    {
        lock (_lock)
        {
            ThrowIfDisposed();
            if (_pool.Count > 0)
                return _pool.Pop();
            return new VmCallContext(this);
        }
    }

    internal void Return(VmCallContext cx)
    {
        lock (_lock)
        {
            if (_disposed)
                cx.Dispose();
            else
                _pool.Push(cx);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Frees every map the engine created and all run state. Programs of this engine can no longer run.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            foreach (var cx in _pool)
                cx.Dispose();
            _pool.Clear();
            foreach (var map in _ownedMaps.Keys)
                map.Dispose();
            _ownedMaps.Clear();
            MapsSnapshot = [];
        }
    }
}
