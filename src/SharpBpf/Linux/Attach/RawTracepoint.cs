using System.Runtime.InteropServices;

namespace SharpBpf.Linux.Attach;

/// <summary>Attaches BPF_PROG_TYPE_RAW_TRACEPOINT programs (BPF_RAW_TRACEPOINT_OPEN: a bpf link).</summary>
public static class RawTracepoint
{
    public static BpfLink Attach(SafeHandle program, string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('/'))
            throw new BpfHookSpecException($"'{name}' is not a raw tracepoint name (expected e.g. sys_enter, sched_switch)");
        using var prog = new FdLease(program, "raw tracepoint " + name);
        return new BpfLink(BpfCalls.RawTracepointOpen(prog.Fd, name), "raw_tracepoint " + name);
    }
}
