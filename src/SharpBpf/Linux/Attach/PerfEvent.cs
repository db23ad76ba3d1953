using SharpBpf.Native;
using System.Runtime.InteropServices;

namespace SharpBpf.Linux.Attach;

/// <summary>
/// perf_event_open(2) for the events programs hang on: tracepoints, uprobes, kprobes, and the BPF output events of
/// perf buffers. Builds the perf_event_attr (PERF_ATTR_SIZE_VER5 layout) by hand.
/// </summary>
public static unsafe class PerfEvent
{
    public const uint PERF_TYPE_SOFTWARE = 1, PERF_TYPE_TRACEPOINT = 2;
    public const ulong PERF_COUNT_SW_BPF_OUTPUT = 10;
    public const ulong PERF_SAMPLE_RAW = 1 << 10;
    internal const int AttrSize = 112;
    internal const ulong PERF_EVENT_IOC_ENABLE = 0x2400, PERF_EVENT_IOC_DISABLE = 0x2401, PERF_EVENT_IOC_SET_BPF = 0x40042408;
    private const ulong PERF_FLAG_FD_CLOEXEC = 8;

    /// <summary>The fields of perf_event_attr SharpBpf sets; everything else stays zero.</summary>
    public readonly record struct Attr(uint Type, ulong Config, ulong Config1 = 0, ulong Config2 = 0,
        ulong SampleType = 0, ulong SamplePeriod = 0, uint WakeupEvents = 0, bool Disabled = false);

    /// <summary>The raw perf_event_attr bytes for <paramref name="attr"/>.</summary>
    public static byte[] Encode(in Attr attr)
    {
        var b = new byte[AttrSize];
        var s = b.AsSpan();
        BitConverter.TryWriteBytes(s[0..], attr.Type);
        BitConverter.TryWriteBytes(s[4..], (uint)AttrSize);
        BitConverter.TryWriteBytes(s[8..], attr.Config);
        BitConverter.TryWriteBytes(s[16..], attr.SamplePeriod);
        BitConverter.TryWriteBytes(s[24..], attr.SampleType);
        BitConverter.TryWriteBytes(s[40..], attr.Disabled ? 1UL : 0UL);
        BitConverter.TryWriteBytes(s[48..], attr.WakeupEvents);
        BitConverter.TryWriteBytes(s[56..], attr.Config1);
        BitConverter.TryWriteBytes(s[64..], attr.Config2);
        return b;
    }

    /// <summary>Opens the event (any pointer in Config1 must stay fixed by the caller for the call).</summary>
    internal static BpfFd Open(in Attr attr, int pid, int cpu, string what, Func<int, string?>? hint = null)
    {
        var bytes = Encode(attr);
        fixed (byte* p = bytes)
        {
            var fd = LibC.syscall(SyscallNumbers.PerfEventOpen, (long)p, pid, cpu, -1, (long)PERF_FLAG_FD_CLOEXEC);
            return SyscallChecks.CheckFd(fd, $"perf_event_open ({what})", hint ?? (e => e switch
            {
                Errno.EACCES or Errno.EPERM => "needs root or CAP_PERFMON (see kernel.perf_event_paranoid)",
                Errno.ENOENT => "the kernel has no such event",
                _ => null,
            }));
        }
    }

    /// <summary>Attaches a program to an open perf event: BPF_LINK_CREATE(BPF_PERF_EVENT), else PERF_EVENT_IOC_SET_BPF + enable.</summary>
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
            SyscallChecks.Check(LibC.ioctl(perfFd.Value, PERF_EVENT_IOC_SET_BPF, prog.Fd), $"PERF_EVENT_IOC_SET_BPF for {description}", Hints.Attach);
            SyscallChecks.Check(LibC.ioctl(perfFd.Value, PERF_EVENT_IOC_ENABLE, 0), $"PERF_EVENT_IOC_ENABLE for {description}");
        }
        catch
        {
            perfFd.Dispose();
            throw;
        }
        return new DetachableAttachment(description, () =>
        {
            LibC.ioctl(perfFd.Value, PERF_EVENT_IOC_DISABLE, 0);
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
