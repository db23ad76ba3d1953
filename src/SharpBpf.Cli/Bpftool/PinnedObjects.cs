using SharpBpf.Linux;

namespace SharpBpf.Cli.Bpftool;

/// <summary>Which paths in the mounted bpf filesystems pin which program or map ids (bpftool's <c>-f</c>).</summary>
public static class PinnedObjects
{
    public static Dictionary<uint, List<string>> Scan(BpfObjectKind kind)
    {
        var result = new Dictionary<uint, List<string>>();
        foreach (var mount in BpfMounts())
        {
            foreach (var path in BpfFs.PinnedFiles(mount))
            {
                BpfFd fd;
                try { fd = BpfSyscall.OpenPinned(path); }
                catch (BpfSyscallException) { continue; }
                using (fd)
                {
                    var typeField = kind == BpfObjectKind.Program ? "prog_type" : kind == BpfObjectKind.Map ? "map_type" : "link_type";
                    if (KernelObjectInfo.FdInfoField(fd, typeField) is null)
                        continue;
                    uint id = kind == BpfObjectKind.Program ? KernelObjectInfo.GetProgramInfo(fd).Id
                        : kind == BpfObjectKind.Map ? KernelObjectInfo.GetMapInfo(fd).Id
                        : KernelObjectInfo.GetLinkInfo(fd).Id;
                    if (!result.TryGetValue(id, out var list))
                        result[id] = list = [];
                    list.Add(path);
                }
            }
        }
        return result;
    }

    /// <summary>Mount points of type bpf, from /proc/mounts.</summary>
    public static IEnumerable<string> BpfMounts()
    {
        string[] lines;
        try { lines = File.ReadAllLines("/proc/mounts"); }
        catch (IOException) { yield break; }
        var seen = new HashSet<string>();
        foreach (var line in lines)
        {
            var fields = line.Split(' ');
            if (fields.Length > 2 && fields[2] == "bpf" && seen.Add(fields[1]))
                yield return fields[1].Replace("\\040", " ");
        }
    }
}
