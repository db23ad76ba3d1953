using SharpBpf.Native;

namespace SharpBpf.Linux;

/// <summary>
/// perf_event_open(2), the one place that builds a perf_event_attr (PERF_ATTR_SIZE_VER5 layout, by hand): for the
/// events programs hang on (tracepoints, uprobes, kprobes) and for the BPF output events of perf buffers.
/// </summary>
public static unsafe class PerfEventOpen
{
    public const uint PERF_TYPE_SOFTWARE = 1, PERF_TYPE_TRACEPOINT = 2;
    public const ulong PERF_COUNT_SW_BPF_OUTPUT = 10;
    public const ulong PERF_SAMPLE_RAW = 1 << 10;
    public const int AttrSize = 112;
    public const ulong PERF_EVENT_IOC_ENABLE = 0x2400, PERF_EVENT_IOC_DISABLE = 0x2401, PERF_EVENT_IOC_SET_BPF = 0x40042408;
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

}
