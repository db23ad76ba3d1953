using SharpBpf.Native;
using System.Runtime.InteropServices;

namespace SharpBpf.Linux.Attach;

/// <summary>Attaching programs to the perf events they hang on (tracepoints, uprobes, kprobes), opened with
/// <see cref="PerfEventOpen"/>.</summary>
public static unsafe class PerfEvent
{
    /// <summary>Attaches a program to an open perf event: BPF_LINK_CREATE(BPF_PERF_EVENT), else PerfEventOpen.PERF_EVENT_IOC_SET_BPF + enable.</summary>
    /// <param name="useLink">false skips BPF_LINK_CREATE and attaches with the ioctl, as on kernels before 5.15.</param>
    /// <param name="cookie">the BPF cookie bpf_get_attach_cookie() returns (links only).</param>
    internal static IBpfLink AttachProgram(BpfFd perfFd, SafeHandle program, string description, bool useLink = true, ulong cookie = 0)
    {
        using var prog = new FdLease(program, description);
        if (useLink)
        {
            try
            {
                var link = BpfCalls.LinkCreate(prog.Fd, perfFd.Value, BpfAttachType.PerfEvent, 0, description, cookie);
                return new BpfLink(link, description, perfFd);
            }
            catch (BpfSyscallException e) when (e.ErrorNumber is Errno.EINVAL or Errno.ENOSYS or Errno.EOPNOTSUPP)
            {
                // Kernels before 5.15 have no perf links: fall back to the ioctl attachment.
            }
            catch
            {
                perfFd.Dispose();
                throw;
            }
        }
        try
        {
            SyscallChecks.Check(LibC.ioctl(perfFd.Value, PerfEventOpen.PERF_EVENT_IOC_SET_BPF, prog.Fd), $"PerfEventOpen.PERF_EVENT_IOC_SET_BPF for {description}", Hints.Attach);
            SyscallChecks.Check(LibC.ioctl(perfFd.Value, PerfEventOpen.PERF_EVENT_IOC_ENABLE, 0), $"PerfEventOpen.PERF_EVENT_IOC_ENABLE for {description}");
        }
        catch
        {
            perfFd.Dispose();
            throw;
        }
        return new DetachableAttachment(description, () =>
        {
            LibC.ioctl(perfFd.Value, PerfEventOpen.PERF_EVENT_IOC_DISABLE, 0);
            perfFd.Dispose();
        });
    }

    /// <summary>The PMU type of a dynamic event source (/sys/bus/event_source/devices/&lt;pmu&gt;/type), or null when absent.</summary>
    internal static uint? PmuType(string pmuDir)
    {
        var path = Path.Combine(pmuDir, "type");
        return File.Exists(path) ? uint.Parse(File.ReadAllText(path).Trim(), System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    /// <summary>The first bit of a config field a PMU's format file names, e.g. 32 for "config:32-63" (format/ref_ctr_offset).</summary>
    internal static int ConfigFieldStart(string pmuDir, string format)
    {
        var path = Path.Combine(pmuDir, "format", format);
        if (!File.Exists(path))
            throw new HookNotSupportedException($"{path} does not exist: this kernel's PMU has no '{format}' field");
        var text = File.ReadAllText(path).Trim();
        var dash = text.IndexOf('-');
        if (!text.StartsWith("config:", StringComparison.Ordinal) || dash < 0 || !int.TryParse(text.AsSpan(7, dash - 7), out var bit) || bit is < 0 or > 63)
            throw new BpfHookSpecException($"{path}: expected 'config:<first>-<last>', found '{text}'");
        return bit;
    }

    /// <summary>The config bit a PMU's format file names, e.g. "config:0" for format/retprobe.</summary>
    internal static int ConfigBit(string pmuDir, string format)
    {
        var path = Path.Combine(pmuDir, "format", format);
        if (!File.Exists(path))
            throw new HookNotSupportedException($"{path} does not exist: this kernel's PMU has no '{format}' flag");
        var text = File.ReadAllText(path).Trim();
        if (!text.StartsWith("config:", StringComparison.Ordinal) || !int.TryParse(text.AsSpan(7), out var bit) || bit is < 0 or > 63)
            throw new BpfHookSpecException($"{path}: expected 'config:<bit>', found '{text}'");
        return bit;
    }
}
