using System.Globalization;
using System.Runtime.InteropServices;
using SharpBpf.Linux.Attach;

namespace SharpBpf.Linux.Usdt;

/// <summary>
/// Attaches a program written against libbpf's <c>&lt;bpf/usdt.bpf.h&gt;</c> (BPF_USDT, bpf_usdt_arg, bpf_usdt_cookie)
/// to a USDT probe: one uprobe per call site (with the semaphore as its reference counter), the site's argument
/// spec written to <c>__bpf_usdt_specs</c>, and its id passed as the BPF cookie (and, where the address is known,
/// also in <c>__bpf_usdt_ip_to_spec_id</c> for kernels without cookies).
/// </summary>
public static class Usdt
{
    /// <summary>Attaches to every call site of <paramref name="provider"/>:<paramref name="name"/> in <paramref name="binary"/>.</summary>
    /// <param name="binary">a path, a library name such as "libc.so.6", or a command on PATH.</param>
    /// <param name="pid">one process, or -1 for every process mapping the binary.</param>
    /// <param name="cookie">what bpf_usdt_cookie() returns in the program.</param>
    public static IBpfLink Attach(SafeHandle program, string binary, string provider, string name, int pid = -1, ulong cookie = 0)
    {
        var path = LibraryResolver.Resolve(binary);
        var elf = UserElf.Load(path);
        var description = $"usdt {path}:{provider}:{name}" + (pid >= 0 ? $" (pid {pid})" : "");
        var sites = UsdtNotes.Read(elf).Where(p => p.Provider == provider && p.Name == name).ToList();
        if (sites.Count == 0)
            throw new BpfHookSpecException($"{path} has no USDT probe {provider}:{name} (`sharpbpf usdt list {path}` lists its probes)");
        var maps = UsdtSpecMaps.Of(program, description);
        var attachment = new UsdtAttachment(description, maps);
        try
        {
            var ids = new Dictionary<string, int>();
            foreach (var site in sites)
            {
                var spec = UsdtSpecMaps.Encode(site.Arguments, cookie);
                var key = Convert.ToHexString(spec);
                if (!ids.TryGetValue(key, out var id))
                    ids[key] = id = attachment.AddSpec(spec);
                if (AbsoluteAddress(elf, site, pid) is { } ip && maps.IpToSpec is { } ipMap)
                    attachment.AddIp(ipMap, ip, id);
                else if (!FeatureProbe.HasBpfCookie)
                    throw new BpfHookSpecException($"{description}: this kernel has no BPF cookies, and the probe's address is unknown " +
                        "without a pid (a shared library): give the pid of a process that maps it");
                var where = $"{description} at 0x{site.Address:x}";
                var perf = Uprobe.Open(Uprobe.DefaultPmuDir, path, site.FileOffset, false, pid, where, site.SemaphoreFileOffset);
                attachment.Links.Add(PerfEvent.AttachProgram(perf, program, where, cookie: (ulong)id));
            }
            return attachment;
        }
        catch
        {
            attachment.Dispose();
            throw;
        }
    }

    /// <summary>Where the probe sits in memory: its link-time address in an executable, else from the pid's mappings.</summary>
    private static ulong? AbsoluteAddress(UserElf elf, UsdtProbe site, int pid)
    {
        if (!elf.IsSharedObject)
            return site.Address;
        if (pid < 0)
            return null;
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/maps");
        }
        catch (IOException)
        {
            return null;
        }
        var full = Path.GetFullPath(elf.File);
        foreach (var line in lines)
        {
            // start-end perms offset dev inode path
            var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 6 || parts[5].Trim() != full || parts[1][2] != 'x')
                continue;
            var range = parts[0].Split('-');
            var start = ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var end = ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var offset = ulong.Parse(parts[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (site.FileOffset >= offset && site.FileOffset < offset + (end - start))
                return start + site.FileOffset - offset;
        }
        return null;
    }

    /// <summary>The uprobes of one USDT attachment and the spec slots and addresses it wrote; disposing undoes all of it.</summary>
    private sealed class UsdtAttachment(string description, UsdtSpecMaps maps) : IBpfLink
    {
        private readonly List<int> _specIds = [];
        private readonly List<(KernelMap Map, long Ip, int Id)> _ips = [];
        private bool _disposed;

        public List<IBpfLink> Links { get; } = [];
        public string Description { get; } = description;
        public bool IsBpfLink => false;

        public int AddSpec(byte[] spec)
        {
            var id = maps.Add(spec);
            _specIds.Add(id);
            return id;
        }

        public void AddIp(KernelMap map, ulong ip, int id)
        {
            map.Update(BitConverter.GetBytes((long)ip), BitConverter.GetBytes(id));
            _ips.Add((map, (long)ip, id));
        }

        public void Pin(string path) =>
            throw new BpfHookSpecException($"{Description} is {Links.Count} uprobe link(s) plus map entries, not one bpf link; it cannot be pinned");

        public void Dispose()
        {
            if (_disposed)
                return;
            _disposed = true;
            foreach (var link in Links)
                link.Dispose();
            Span<byte> value = stackalloc byte[4];
            foreach (var (map, ip, id) in _ips)
                if (map.TryLookup(BitConverter.GetBytes(ip), value) && BitConverter.ToInt32(value) == id)
                    map.Delete(BitConverter.GetBytes(ip));
            foreach (var id in _specIds)
                maps.Release(id);
            maps.Dispose();
        }

        public override string ToString() => Description;
    }
}
