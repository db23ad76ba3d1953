using SharpBpf.Maps;

namespace SharpBpf;

/// <summary>The live maps and programs of one loaded object, by name, in either engine. Disposing releases them.</summary>
public interface IBpfCollection : IDisposable
{
    IReadOnlyDictionary<string, IBpfMap> Maps { get; }
    IReadOnlyDictionary<string, IBpfProgram> Programs { get; }

    /// <summary>The map named <paramref name="name"/>; <see cref="BpfNotFoundException"/> when the object has none.</summary>
    IBpfMap Map(string name);

    /// <summary>The program named <paramref name="name"/>; <see cref="BpfNotFoundException"/> when none was loaded.</summary>
    IBpfProgram Program(string name);
}

/// <summary>Typed access on top of <see cref="IBpfCollection"/>.</summary>
public static class BpfCollectionExtensions
{
    /// <summary>The map named <paramref name="name"/> with unmanaged key and value types of the map's sizes.</summary>
    public static BpfMap<TKey, TValue> Map<TKey, TValue>(this IBpfCollection collection, string name)
        where TKey : unmanaged where TValue : unmanaged
    {
        ArgumentNullException.ThrowIfNull(collection);
        return new BpfMap<TKey, TValue>(collection.Map(name));
    }
}
