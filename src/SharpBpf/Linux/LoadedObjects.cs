using SharpBpf.Text;

namespace SharpBpf.Linux;

/// <summary>Finds objects already in the kernel the way bpftool selects them: by id, pinned path, name or tag (programs).</summary>
internal static class LoadedObjects
{
    /// <summary>Opens every object of <paramref name="objectKind"/> that <paramref name="by"/> (id, pinned, name or tag) <paramref name="value"/> selects: at least one, else an error.</summary>
    public static List<BpfFd> Open(BpfObjectKind objectKind, string by, string value)
    {
        var noun = objectKind == BpfObjectKind.Program ? "program" : "map";
        switch (by)
        {
            case "id":
                return [BpfSyscall.GetFdById(objectKind, (uint)CNumber.Parse(value, noun + " id"))];
            case "pinned":
            {
                var fd = BpfSyscall.OpenPinned(value);
                var actual = KernelObjectInfo.FdInfoField(fd, objectKind == BpfObjectKind.Program ? "prog_type" : "map_type");
                if (actual is null)
                {
                    fd.Dispose();
                    throw new BpfException($"{value} is not a pinned {noun}");
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
                        ? by == "name" ? KernelObjectInfo.GetProgramInfo(fd).Name == value : KernelObjectInfo.GetProgramInfo(fd).TagHex == value.ToLowerInvariant()
                        : KernelObjectInfo.GetMapInfo(fd).Name == value;
                    if (match)
                        matches.Add(fd);
                    else
                        fd.Dispose();
                }
                if (matches.Count == 0)
                    throw new BpfException($"no {noun} with {by} {value} found");
                return matches;
            }
        }
    }

    /// <summary>Opens exactly one object, as bpftool's commands that act on a single one require.</summary>
    public static BpfFd OpenOne(BpfObjectKind objectKind, string by, string value)
    {
        var fds = Open(objectKind, by, value);
        if (fds.Count == 1)
            return fds[0];
        foreach (var fd in fds)
            fd.Dispose();
        throw new BpfException($"several {(objectKind == BpfObjectKind.Program ? "programs" : "maps")} match {by} {value}; select one by id");
    }
}
