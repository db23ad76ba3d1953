using SharpBpf.Native;
namespace SharpBpf.Linux.Attach;

/// <summary>Finds tracefs (/sys/kernel/tracing, /sys/kernel/debug/tracing, or any tracefs mount), mounting it when absent.</summary>
public static class Tracefs
{
    private static readonly object Gate = new();
    private static string? _root;

    /// <summary>The tracefs directory, mounted at /sys/kernel/tracing if nothing else provides one.</summary>
    public static string Root
    {
        get
        {
            lock (Gate)
                return _root ??= Locate();
        }
    }

    /// <summary>The numeric id of a tracepoint (events/&lt;category&gt;/&lt;name&gt;/id).</summary>
    public static int TracepointId(string category, string name)
    {
        if (category.Contains('/') || name.Contains('/') || category.Length == 0 || name.Length == 0)
            throw new BpfHookSpecException($"'{category}/{name}' is not a tracepoint name: expected <category>/<name> such as syscalls/sys_enter_getpid");
        var path = Path.Combine(Root, "events", category, name, "id");
        if (!File.Exists(path))
            throw new HookNotSupportedException($"no tracepoint {category}/{name} in this kernel ({path} does not exist; see {Path.Combine(Root, "available_events")})");
        return int.Parse(File.ReadAllText(path).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Locate()
    {
        foreach (var candidate in new[] { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" })
            if (Directory.Exists(Path.Combine(candidate, "events")))
                return candidate;
        foreach (var line in File.ReadLines("/proc/self/mounts"))
        {
            var parts = line.Split(' ');
            if (parts.Length > 2 && parts[2] == "tracefs" && Directory.Exists(Path.Combine(parts[1], "events")))
                return parts[1];
        }
        const string target = "/sys/kernel/tracing";
        if (MountTracefs(target) != 0)
            throw new BpfAttachException($"mount -t tracefs nodev {target}", LibC.LastErrno,
                "tracefs is not mounted and could not be mounted (needs root, CONFIG_TRACING)");
        return target;
    }

    private static unsafe int MountTracefs(string target) => LibC.mount("nodev", target, "tracefs", 0, null);
}
