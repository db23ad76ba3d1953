using System.Runtime.InteropServices;
using System.Text;

namespace SharpBpf.Linux.Attach;

/// <summary>
/// Attaches BPF_PROG_TYPE_KPROBE programs to kernel functions through the kprobe PMU, or tracefs kprobe_events when
/// there is no PMU. On kernels with neither (CONFIG_KPROBE_EVENTS off) it raises <see cref="HookNotSupportedException"/>.
/// </summary>
public static unsafe class Kprobe
{
    public const string DefaultPmuDir = "/sys/bus/event_source/devices/kprobe";

    /// <summary>Attaches to <paramref name="function"/>+<paramref name="offset"/> (a kretprobe when <paramref name="retprobe"/>).</summary>
    public static IBpfLink Attach(SafeHandle program, string function, bool retprobe = false, ulong offset = 0) =>
        Attach(program, function, retprobe, offset, DefaultPmuDir, null);

    /// <summary>The same with the PMU directory and tracefs root given (tests point them at prepared directories).</summary>
    internal static IBpfLink Attach(SafeHandle program, string function, bool retprobe, ulong offset, string pmuDir, string? tracefsRoot)
    {
        if (string.IsNullOrWhiteSpace(function) || function.Contains(' ') || function.Contains('/'))
            throw new BpfHookSpecException($"'{function}' is not a kernel function name");
        var description = $"{(retprobe ? "kretprobe" : "kprobe")} {function}" + (offset != 0 ? $"+0x{offset:x}" : "");
        var plan = Plan(function, retprobe, offset, pmuDir, tracefsRoot);
        var perf = OpenPlanned(plan, function, description);
        var link = PerfEvent.AttachProgram(perf, program, description);
        if (plan.KprobeEventsFile is null)
            return link;
        // A tracefs-created event outlives us unless removed: remove it when the attachment goes.
        return new DetachableAttachment(description, () =>
        {
            link.Dispose();
            try
            {
                File.AppendAllText(plan.KprobeEventsFile, $"-:kprobes/{plan.EventName}\n");
            }
            catch (IOException)
            {
                // Still busy or already gone: nothing more to do.
            }
        });
    }

    /// <summary>Whether a kprobe on <paramref name="function"/> opens (libbpf's probe behind LINUX_HAS_SYSCALL_WRAPPER); nothing stays behind.</summary>
    internal static bool CanOpen(string function)
    {
        KprobePlan plan;
        try
        {
            plan = Plan(function, retprobe: false, 0, DefaultPmuDir, tracefsRoot: null);
            OpenPlanned(plan, function, $"kprobe '{function}'").Dispose();
        }
        catch (Exception e) when (e is BpfException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
        if (plan.KprobeEventsFile is not null)
            File.AppendAllText(plan.KprobeEventsFile, $"-:kprobes/{plan.EventName}\n");
        return true;
    }

    /// <summary>How a kprobe would be opened: through the PMU (attr) or a tracefs kprobe_events line.</summary>
    internal sealed record KprobePlan(PerfEventOpen.Attr? PmuAttr, string? KprobeEventsFile, string? EventLine, string? EventName);

    /// <summary>Decides how to open the probe, without any syscall; throws when the kernel offers no way.</summary>
    internal static KprobePlan Plan(string function, bool retprobe, ulong offset, string pmuDir, string? tracefsRoot)
    {
        if (PerfEvent.PmuType(pmuDir) is { } type)
        {
            var config = retprobe ? 1UL << PerfEvent.ConfigBit(pmuDir, "retprobe") : 0;
            // Config1 (the name pointer) is filled in at open time.
            return new KprobePlan(new PerfEventOpen.Attr(type, config, Config2: offset, SamplePeriod: 1, WakeupEvents: 1), null, null, null);
        }
        string? root = tracefsRoot;
        if (root is null)
        {
            try
            {
                root = Tracefs.Root;
            }
            catch (BpfException)
            {
                root = null;
            }
        }
        var events = root is null ? null : Path.Combine(root, "kprobe_events");
        if (events is null || !File.Exists(events))
            throw new HookNotSupportedException(
                $"kprobes are not available on this kernel: no kprobe PMU ({pmuDir}/type) and no tracefs kprobe_events " +
                $"({events ?? "tracefs not found"}); it was built without CONFIG_KPROBE_EVENTS. Use a tracepoint, raw tracepoint or fentry instead.");
        var name = $"sharpbpf_{Environment.ProcessId}_{function}";
        var line = $"{(retprobe ? 'r' : 'p')}:kprobes/{name} {function}" + (offset != 0 ? $"+{offset}" : "");
        return new KprobePlan(null, events, line, name);
    }

    private static BpfFd OpenPlanned(KprobePlan plan, string function, string description)
    {
        if (plan.PmuAttr is { } attr)
        {
            var bytes = Encoding.UTF8.GetBytes(function + "\0");
            fixed (byte* p = bytes)
                return PerfEventOpen.Open(attr with { Config1 = (ulong)p }, -1, 0, description);
        }
        File.AppendAllText(plan.KprobeEventsFile!, plan.EventLine + "\n");
        try
        {
            var id = Tracefs.TracepointId("kprobes", plan.EventName!);
            return PerfEventOpen.Open(new PerfEventOpen.Attr(PerfEventOpen.PERF_TYPE_TRACEPOINT, (ulong)id, SamplePeriod: 1, WakeupEvents: 1), -1, 0, description);
        }
        catch
        {
            File.AppendAllText(plan.KprobeEventsFile!, $"-:kprobes/{plan.EventName}\n");
            throw;
        }
    }
}
