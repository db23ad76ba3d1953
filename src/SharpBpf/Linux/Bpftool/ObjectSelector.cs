namespace SharpBpf.Linux.Bpftool;

/// <summary>
/// bpftool's PROG and MAP selectors: <c>id N | pinned PATH | name NAME | tag TAG</c> (tag for programs only).
/// Resolves to fds of the matching objects, in id order.
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
    public List<BpfFd> Open(BpfObjectKind objectKind)
    {
        var noun = objectKind == BpfObjectKind.Program ? "program" : "map";
        switch (Kind)
        {
            case "id":
                return [BpfSyscall.GetFdById(objectKind, (uint)BpftoolArgs.ParseNumber(Value, noun + " id"))];
            case "pinned":
            {
                var fd = BpfSyscall.OpenPinned(Value);
                var actual = KernelObjectInfo.FdInfoField(fd, objectKind == BpfObjectKind.Program ? "prog_type" : "map_type");
                if (actual is null)
                {
                    fd.Dispose();
                    throw new BpfException($"{Value} is not a pinned {noun}");
                }
                return [fd];
            }
            default:
            {
                var matches = new List<BpfFd>();
                foreach (var id in BpfSyscall.Ids(objectKind))
                {
                    var fd = BpfSyscall.TryGetFdById(objectKind, id);
                    if (fd is null)
                        continue;
                    bool match = objectKind == BpfObjectKind.Program
                        ? Kind == "name" ? KernelObjectInfo.GetProgramInfo(fd).Name == Value : KernelObjectInfo.GetProgramInfo(fd).TagHex == Value.ToLowerInvariant()
                        : KernelObjectInfo.GetMapInfo(fd).Name == Value;
                    if (match)
                        matches.Add(fd);
                    else
                        fd.Dispose();
                }
                if (matches.Count == 0)
                    throw new BpfException($"no {noun} with {Kind} {Value} found");
                return matches;
            }
        }
    }

    /// <summary>Opens exactly one object, as bpftool's commands that act on a single one require.</summary>
    public BpfFd OpenOne(BpfObjectKind objectKind)
    {
        var fds = Open(objectKind);
        if (fds.Count == 1)
            return fds[0];
        foreach (var fd in fds)
            fd.Dispose();
        throw new BpfException($"several {(objectKind == BpfObjectKind.Program ? "programs" : "maps")} match {Kind} {Value}; select one by id");
    }
}
