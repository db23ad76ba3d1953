using SharpBpf.Native;
using System.Runtime.InteropServices;

namespace SharpBpf.Linux.Events;

/// <summary>
/// perf_event_open(2) for the receiving end of a perf buffer: a PERF_COUNT_SW_BPF_OUTPUT software event on one CPU,
/// sampling PERF_SAMPLE_RAW, enabled, waking its reader every <c>wakeupEvents</c> samples.
/// </summary>
internal static unsafe class PerfOutputEvent
{
    public const ulong IocEnable = 0x2400, IocDisable = 0x2401;
    private const uint TypeSoftware = 1;
    private const ulong CountSwBpfOutput = 10, SampleRaw = 1 << 10, FlagFdCloexec = 8;

    /// <summary>The leading fields of perf_event_attr (PERF_ATTR_SIZE_VER5 is 112 bytes; the rest stays zero).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 112)]
    private struct Attr
    {
        [FieldOffset(0)] public uint Type;
        [FieldOffset(4)] public uint Size;
        [FieldOffset(8)] public ulong Config;
        [FieldOffset(16)] public ulong SamplePeriod;
        [FieldOffset(24)] public ulong SampleType;
        [FieldOffset(48)] public uint WakeupEvents;
    }

    public static BpfFd Open(int cpu, uint wakeupEvents)
    {
        var attr = new Attr
        {
            Type = TypeSoftware, Size = (uint)sizeof(Attr), Config = CountSwBpfOutput,
            SamplePeriod = 1, SampleType = SampleRaw, WakeupEvents = wakeupEvents,
        };
        var fd = LibC.syscall(SyscallNumbers.PerfEventOpen, (long)&attr, -1, cpu, -1, (long)FlagFdCloexec);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new BpfEventException($"perf_event_open (BPF output event on CPU {cpu})", errno,
                errno is Errno.EACCES or Errno.EPERM ? "needs root or CAP_PERFMON (see kernel.perf_event_paranoid)" : null);
        }
        return new BpfFd((int)fd);
    }
}
