using System.Collections.ObjectModel;
using SharpBpf.Maps;

namespace SharpBpf;

/// <summary>What both engines' collections share: programs and maps by name, with the engine's own types, and the
/// engine-neutral view of them.</summary>
public abstract class BpfCollection<TProgram, TMap> : IBpfCollection
    where TProgram : class, IBpfProgram
    where TMap : class, IBpfMap
{
    private readonly Dictionary<string, TMap> _maps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TProgram> _programs = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, TMap> Maps => _maps;
    public IReadOnlyDictionary<string, TProgram> Programs => _programs;

    // The engine-neutral views, made once the load is over (maps and programs are only added while loading).
    private ReadOnlyDictionary<string, IBpfMap>? _neutralMaps;
    private ReadOnlyDictionary<string, IBpfProgram>? _neutralPrograms;

    IReadOnlyDictionary<string, IBpfMap> IBpfCollection.Maps =>
        _neutralMaps ??= new(_maps.ToDictionary(e => e.Key, e => (IBpfMap)e.Value, StringComparer.Ordinal));

    IReadOnlyDictionary<string, IBpfProgram> IBpfCollection.Programs =>
        _neutralPrograms ??= new(_programs.ToDictionary(e => e.Key, e => (IBpfProgram)e.Value, StringComparer.Ordinal));

    /// <inheritdoc cref="IBpfCollection.Map"/>
    public TMap Map(string name) => _maps.TryGetValue(name, out var map) ? map
        : throw new BpfNotFoundException("map", name, $"the object has no map '{name}' (maps: {Names(_maps.Keys)})");

    /// <inheritdoc cref="IBpfCollection.Program"/>
    public TProgram Program(string name) => _programs.TryGetValue(name, out var program) ? program
        : throw new BpfNotFoundException("program", name, $"the object has no program '{name}' (loaded: {Names(_programs.Keys)})");

    IBpfMap IBpfCollection.Map(string name) => Map(name);
    IBpfProgram IBpfCollection.Program(string name) => Program(name);

    internal void AddMap(string name, TMap map)
    {
        _neutralMaps = null;
        if (!_maps.TryAdd(name, map))
        {
            map.Dispose();
            throw new BpfException($"the object defines map '{name}' twice");
        }
    }

    internal void AddProgram(string name, TProgram program)
    {
        _neutralPrograms = null;
        if (!_programs.TryAdd(name, program))
        {
            (program as IDisposable)?.Dispose();
            throw new BpfException($"the object defines program '{name}' twice");
        }
    }

    /// <summary>Releases the programs, then the maps.</summary>
    public virtual void Dispose()
    {
        foreach (var program in _programs.Values)
            (program as IDisposable)?.Dispose();
        foreach (var map in _maps.Values)
            map.Dispose();
        _programs.Clear();
        _maps.Clear();
        _neutralMaps = null;
        _neutralPrograms = null;
        GC.SuppressFinalize(this);
    }

    private static string Names(IEnumerable<string> names) => names.Any() ? string.Join(", ", names) : "none";
}
