using System.Net.Sockets;
using System.Runtime.InteropServices;
using SharpBpf.Linux.Netlink;
using SharpBpf.Objects;

namespace SharpBpf.Linux.Attach;

/// <summary>What a hook needs beyond its section name: the interface for xdp/tc, a cgroup, a socket, a pid.</summary>
public sealed record AutoAttachOptions
{
    /// <summary>Network interface for xdp and tc programs.</summary>
    public string? Interface { get; init; }
    public XdpMode XdpMode { get; init; } = XdpMode.Default;
    /// <summary>tc direction when the section ("tc", "classifier") does not say; default ingress.</summary>
    public TcDirection? Direction { get; init; }
    /// <summary>Use rtnetlink (IFLA_XDP, clsact + cls_bpf) instead of bpf links for xdp and tc.</summary>
    public bool UseNetlink { get; init; }
    /// <summary>cgroup v2 directory for cgroup programs.</summary>
    public string? CgroupPath { get; init; }
    /// <summary>Socket for socket filters.</summary>
    public Socket? Socket { get; init; }
    /// <summary>Process for uprobes (-1: all processes).</summary>
    public int Pid { get; init; } = -1;
}

/// <summary>Attaches a loaded program where its section name says, as libbpf's bpf_program__attach does.</summary>
public static class AutoAttach
{
    public static IBpfLink Attach(KernelProgram program, ProgramSpec spec, AutoAttachOptions? options = null) =>
        Attach(program.Fd, spec.SectionName, options);

    public static IBpfLink Attach(KernelProgram program, string sectionName, AutoAttachOptions? options = null) =>
        Attach(program.Fd, sectionName, options);

    /// <summary>
    /// Attaches every program of a loaded object whose section names a hook it can reach with <paramref name="options"/>
    /// (xdp/tc only with an interface, cgroup only with a path, socket only with a socket; bare "uprobe" never).
    /// On failure the links made so far are detached and the error is rethrown.
    /// </summary>
    public static IReadOnlyList<IBpfLink> AttachAll(KernelCollection collection, ObjectSpec spec, AutoAttachOptions? options = null) =>
        [.. AttachAllByProgram(collection, spec, options).Select(x => x.Link)];

    /// <summary>
    /// <see cref="AttachAll"/> with each link paired with the name of its program (e.g. to pin links by program name,
    /// as `bpftool prog loadall ... autoattach` does).
    /// </summary>
    public static IReadOnlyList<(string Program, IBpfLink Link)> AttachAllByProgram(KernelCollection collection, ObjectSpec spec,
        AutoAttachOptions? options = null)
    {
        options ??= new AutoAttachOptions();
        var links = new List<(string, IBpfLink)>();
        try
        {
            foreach (var program in spec.Programs)
            {
                if (!collection.Programs.TryGetValue(program.Name, out var loaded) || !CanAttach(program.SectionName, options, out var hook))
                    continue;
                links.Add((program.Name, Attach(loaded.Fd, hook!, program.SectionName, options)));
            }
            return links;
        }
        catch
        {
            foreach (var (_, link) in links)
                link.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Attaches every program it can, as bpftool's <c>loadall ... autoattach</c>: a program whose attach fails (a kprobe
    /// on a kernel without kprobes, a missing uprobe symbol) does not stop the others and is reported with its error.
    /// </summary>
    public static (IReadOnlyList<(string Program, IBpfLink Link)> Links, IReadOnlyList<(string Program, BpfException Error)> Failures)
        AttachEachByProgram(KernelCollection collection, ObjectSpec spec, AutoAttachOptions? options = null)
    {
        options ??= new AutoAttachOptions();
        var links = new List<(string, IBpfLink)>();
        var failures = new List<(string, BpfException)>();
        foreach (var program in spec.Programs)
        {
            if (!collection.Programs.TryGetValue(program.Name, out var loaded) || !CanAttach(program.SectionName, options, out var hook))
                continue;
            try
            {
                links.Add((program.Name, Attach(loaded.Fd, hook!, program.SectionName, options)));
            }
            catch (BpfException e)
            {
                failures.Add((program.Name, e));
            }
        }
        return (links, failures);
    }

    private static bool CanAttach(string section, AutoAttachOptions options, out HookSpec? hook)
    {
        try
        {
            hook = HookSpec.Parse(section);
        }
        catch (BpfHookSpecException)
        {
            hook = null;
            return false;
        }
        return hook.Kind switch
        {
            HookKind.Xdp or HookKind.Tc => options.Interface is not null,
            HookKind.Cgroup => options.CgroupPath is not null,
            HookKind.SocketFilter => options.Socket is not null,
            _ => true,
        };
    }

    public static IBpfLink Attach(SafeHandle program, ProgramSpec spec, AutoAttachOptions? options = null) =>
        Attach(program, spec.SectionName, options);

    public static IBpfLink Attach(SafeHandle program, string sectionName, AutoAttachOptions? options = null) =>
        Attach(program, HookSpec.Parse(sectionName), sectionName, options ?? new AutoAttachOptions());

    public static IBpfLink Attach(SafeHandle program, HookSpec hook, string sectionName, AutoAttachOptions options) => hook.Kind switch
    {
        HookKind.Tracepoint => Tracepoint.Attach(program, hook.Target!),
        HookKind.RawTracepoint => RawTracepoint.Attach(program, hook.Target!),
        HookKind.Kprobe => Kprobe.Attach(program, hook.Target!, hook.Return, hook.Offset),
        HookKind.Uprobe when string.IsNullOrEmpty(hook.Symbol) =>
            Uprobe.AttachAt(program, LibraryResolver.Resolve(hook.Target!), hook.Offset, hook.Return, options.Pid),
        HookKind.Uprobe => Uprobe.Attach(program, hook.Target!, hook.Symbol!, hook.Return, options.Pid, hook.Offset),
        HookKind.KprobeMulti => KprobeMulti.Attach(program, hook.Target!, hook.Return),
        HookKind.Usdt => Usdt.Usdt.Attach(program, hook.Target!, hook.Provider!, hook.Symbol!, options.Pid),
        HookKind.Xdp => Xdp.Attach(program, Need(options.Interface, sectionName, "an interface (AutoAttachOptions.Interface)"),
            options.XdpMode, options.UseNetlink),
        HookKind.Tc => Tc.Attach(program, Need(options.Interface, sectionName, "an interface (AutoAttachOptions.Interface)"),
            hook.Direction ?? options.Direction ?? TcDirection.Ingress, options.UseNetlink),
        HookKind.Cgroup => Cgroup.Attach(program, Need(options.CgroupPath, sectionName, "a cgroup v2 directory (AutoAttachOptions.CgroupPath)"),
            hook.AttachType!.Value),
        HookKind.SocketFilter => SocketFilter.Attach(program,
            options.Socket ?? throw new BpfHookSpecException($"section '{sectionName}' needs a socket (AutoAttachOptions.Socket)")),
        _ => throw new BpfHookSpecException($"section '{sectionName}': no attach method for {hook.Kind}"),
    };

    private static string Need(string? value, string section, string what) =>
        string.IsNullOrEmpty(value) ? throw new BpfHookSpecException($"section '{section}' needs {what}") : value;
}
