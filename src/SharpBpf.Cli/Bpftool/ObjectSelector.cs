using SharpBpf.Linux;

namespace SharpBpf.Cli.Bpftool;

/// <summary>
/// bpftool's PROG and MAP selectors: <c>id N | pinned PATH | name NAME | tag TAG</c> (tag for programs only).
/// Resolves (through <see cref="LoadedObjects"/>) to fds of the matching objects, in id order.
/// </summary>
public sealed record ObjectSelector(string Kind, string Value)
{
    /// <summary>Reads a selector, or returns null when the arguments are exhausted.</summary>
    public static ObjectSelector? Parse(BpftoolArgs args, bool allowTag)
    {
        if (args.AtEnd)
            return null;
        var kind = args.Take("id, pinned, name" + (allowTag ? " or tag" : ""));
        if (kind is not ("id" or "pinned" or "name") && !(allowTag && kind == "tag"))
            throw new ArgumentException($"expected 'id', 'pinned', 'name'{(allowTag ? " or 'tag'" : "")}, got '{kind}'");
        return new ObjectSelector(kind, args.Take(kind + " value"));
    }

    /// <summary>Opens every object of <paramref name="objectKind"/> this selector matches (at least one, else an error).</summary>
    public List<BpfFd> Open(BpfObjectKind objectKind) => LoadedObjects.Open(objectKind, Kind, Value);

    /// <summary>Opens exactly one object, as bpftool's commands that act on a single one require.</summary>
    public BpfFd OpenOne(BpfObjectKind objectKind) => LoadedObjects.OpenOne(objectKind, Kind, Value);
}
