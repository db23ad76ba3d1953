using System.Runtime.InteropServices;

namespace SharpBpf.Linux.Attach;

/// <summary>Attaches BPF_PROG_TYPE_TRACEPOINT programs to tracefs tracepoints (events/&lt;category&gt;/&lt;name&gt;).</summary>
public static class Tracepoint
{
    /// <summary>Attaches <paramref name="program"/> to tracepoint <paramref name="category"/>/<paramref name="name"/>.</summary>
    public static IBpfLink Attach(SafeHandle program, string category, string name) => Attach(program, category, name, useLink: true);

    /// <param name="useLink">false attaches with PERF_EVENT_IOC_SET_BPF instead of a perf link (what kernels before 5.15 offer).</param>
    internal static IBpfLink Attach(SafeHandle program, string category, string name, bool useLink)
    {
        var id = Tracefs.TracepointId(category, name);
        var description = $"tracepoint {category}/{name}";
        var perf = PerfEventOpen.Open(new PerfEventOpen.Attr(PerfEventOpen.PERF_TYPE_TRACEPOINT, (ulong)id, SamplePeriod: 1, WakeupEvents: 1),
            pid: -1, cpu: 0, description);
        return PerfEvent.AttachProgram(perf, program, description, useLink);
    }

    /// <summary>Attaches to "category/name" (as in SEC("tracepoint/category/name")).</summary>
    public static IBpfLink Attach(SafeHandle program, string target)
    {
        var slash = target.IndexOf('/');
        if (slash <= 0 || slash == target.Length - 1)
            throw new BpfHookSpecException($"'{target}' is not a tracepoint: expected <category>/<name> such as syscalls/sys_enter_getpid");
        return Attach(program, target[..slash], target[(slash + 1)..]);
    }
}
