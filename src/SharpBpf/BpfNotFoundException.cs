namespace SharpBpf;

/// <summary>Something asked for by name or id is not there: a map or program of a collection, a pinned object, a
/// kernel object id. <see cref="Kind"/> and <see cref="Name"/> say what was looked for.</summary>
public class BpfNotFoundException : BpfException
{
    public BpfNotFoundException(string kind, string name, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Name = name;
    }

    /// <summary>What kind of thing was looked for: "map", "program", ...</summary>
    public string Kind { get; }

    /// <summary>The name (or id, or path) that was looked for.</summary>
    public string Name { get; }
}
