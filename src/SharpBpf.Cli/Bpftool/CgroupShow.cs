using SharpBpf.Linux;
using System.Globalization;
using SharpBpf.Linux.Attach;
using SharpBpf.Text;

namespace SharpBpf.Cli.Bpftool;

/// <summary>
/// `bpftool cgroup show CGROUP [effective]` and `cgroup tree [ROOT [effective]]`, byte for byte as bpftool 7.1 prints
/// them: attach types 0..lsm_cgroup in order, each type's programs in run order, the tree walked as nftw(FTW_MOUNT) does.
/// </summary>
public sealed class CgroupShow
{
    /// <summary>bpftool 7.1's __MAX_BPF_ATTACH_TYPE: it queries attach types below lsm_cgroup + 1 only.</summary>
    private const uint AttachTypeCount = (uint)BpfAttachType.LsmCgroup + 1;

    private readonly bool _effective;
    private readonly TextWriter _out;
    private readonly BpftoolJsonWriter? _json;
    private readonly bool _hasVmlinux = File.Exists(RunningKernelBtf.VmlinuxPath);
    private uint _vmlinuxBtfId;

    private CgroupShow(TextWriter output, OutputFormat format, bool effective)
    {
        _out = output;
        _effective = effective;
        _json = format == OutputFormat.Plain ? null : new BpftoolJsonWriter(output, format == OutputFormat.PrettyJson);
    }

    private string Header => _effective ? $"{"ID",-8} {"AttachType",-15} {"Name",-15}\n" : $"{"ID",-8} {"AttachType",-15} {"AttachFlags",-15} {"Name",-15}\n";

    public static void Show(TextWriter output, OutputFormat format, string path, bool effective)
    {
        var show = new CgroupShow(output, format, effective);
        using var cgroup = CgroupPrograms.Open(path);
        var programs = show.Attached(cgroup);
        if (programs.Count > 0)
        {
            if (show._json is { } j)
                j.StartArray();
            else
                output.Write(show.Header);
            foreach (var p in programs)
                show.Program(p, 0);
            show._json?.EndArray();
        }
        show._json?.Finish();
    }

    public static void Tree(TextWriter output, OutputFormat format, string? root, bool effective)
    {
        root ??= CgroupPrograms.FindRoot() ?? throw new BpfException("cgroup v2 isn't mounted");
        var show = new CgroupShow(output, format, effective);
        if (show._json is { } j)
            j.StartArray();
        else
            output.Write("CgroupPath\n" + show.Header);
        var trimmed = root.Length > 1 ? root.TrimEnd('/') : root;
        if (trimmed.Length == 0)
            trimmed = "/";
        if (!Directory.Exists(trimmed))
            throw new BpfException($"can't iterate over {trimmed}: No such file or directory");
        show.Walk(trimmed, 0, MountPoints());
        show._json?.EndArray();
        show._json?.Finish();
    }

    /// <summary>Pre-order, in directory order, staying on the root's file system (FTW_MOUNT).</summary>
    private void Walk(string path, int level, HashSet<string> mountPoints)
    {
        using (var cgroup = CgroupPrograms.Open(path))
        {
            var programs = Attached(cgroup);
            if (programs.Count > 0)
            {
                if (_json is { } j)
                {
                    j.StartObject();
                    j.Field("cgroup", path);
                    j.Name("programs");
                    j.StartArray();
                }
                else
                    _out.Write(path + "\n");
                foreach (var p in programs)
                    Program(p, level);
                if (_json is { } j2)
                {
                    j2.EndArray();
                    j2.EndObject();
                }
            }
        }
        foreach (var child in Directory.EnumerateDirectories(path))
        {
            if (new FileInfo(child).LinkTarget is not null || mountPoints.Contains(child))
                continue;
            Walk(child, level + 1, mountPoints);
        }
    }

    private static HashSet<string> MountPoints() =>
        [.. File.ReadLines("/proc/self/mounts").Select(l => l.Split(' ')).Where(f => f.Length > 1).Select(f => f[1].Replace("\\040", " ", StringComparison.Ordinal))];

    private List<CgroupProgram> Attached(System.Runtime.InteropServices.SafeHandle cgroup)
    {
        var result = new List<CgroupProgram>();
        for (uint t = 0; t < AttachTypeCount; t++)
            result.AddRange(CgroupPrograms.Query(cgroup, (BpfAttachType)t, _effective) ?? []);
        return result;
    }

    private void Program(CgroupProgram attached, int level)
    {
        using var fd = BpfSyscall.TryGetFdById(BpfObjectKind.Program, attached.ProgramId);
        if (fd is null)
            return;  // unloaded since the query
        var info = KernelObjectInfo.GetProgramInfo(fd);
        var name = ProgramShow.FullName(fd, info);
        var type = (uint)attached.AttachType < AttachTypeCount ? BpfNames.Of(attached.AttachType) : null;
        var btfName = AttachBtfName(info);
        var flags = attached.AttachFlags switch
        {
            CgroupPrograms.AllowMulti => "multi",
            CgroupPrograms.AllowOverride => "override",
            0 => "",
            var f => $"unknown({f:x})",
        };
        if (_json is { } j)
        {
            j.StartObject();
            j.Field("id", info.Id);
            if (type is not null)
                j.Field("attach_type", type);
            else
                j.Field("attach_type", (ulong)attached.AttachType);
            if (!_effective)
                j.Field("attach_flags", flags);
            j.Field("name", name);
            if (btfName is not null)
                j.Field("attach_btf_name", btfName);
            j.Field("attach_btf_obj_id", info.AttachBtfObjectId);
            j.Field("attach_btf_id", info.AttachBtfId);
            j.EndObject();
            return;
        }
        var line = new System.Text.StringBuilder();
        line.Append(level > 0 ? "    " : "").Append(CultureInfo.InvariantCulture, $"{info.Id,-8} ");
        line.Append(type is not null ? $"{type,-15}" : $"type {(uint)attached.AttachType,-10}");
        line.Append(_effective ? $" {name,-15}" : $" {flags,-15} {name,-15}");
        if (btfName is not null)
            line.Append(CultureInfo.InvariantCulture, $" {btfName,-15}");
        else if (info.AttachBtfId != 0)
            line.Append(CultureInfo.InvariantCulture, $" attach_btf_obj_id={info.AttachBtfObjectId} attach_btf_id={info.AttachBtfId}");
        _out.Write(line.Append('\n').ToString());
    }

    /// <summary>
    /// bpftool's attach_btf_name: the vmlinux type the program attaches to, when its attach BTF object is the one it
    /// took for vmlinux (guessed from the first program with a kernel "vmlinux" BTF object; id 0 until then — so
    /// programs without attach BTF print type 0's empty name).
    /// </summary>
    private string? AttachBtfName(ProgramInfo info)
    {
        if (!_hasVmlinux)
            return null;
        if (_vmlinuxBtfId == 0 && info.AttachBtfObjectId != 0)
        {
            using var btf = BpfSyscall.TryGetFdById(BpfObjectKind.Btf, info.AttachBtfObjectId);
            if (btf is not null && KernelObjectInfo.GetBtfInfo(btf) is { IsKernel: true, Name: "vmlinux" } b)
                _vmlinuxBtfId = b.Id;
        }
        if (_vmlinuxBtfId != info.AttachBtfObjectId)
            return null;
        if (info.AttachBtfId == 0)
            return "";
        var vmlinux = RunningKernelBtf.Vmlinux;
        return info.AttachBtfId < vmlinux.Count ? vmlinux.NameOf(info.AttachBtfId) : null;
    }
}
