using System.Runtime.InteropServices;

namespace SharpBpf.Native;

/// <summary>Syscall numbers: the one place that knows them per architecture.</summary>
internal static class SyscallNumbers
{
    public static readonly long Bpf = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 321,
        Architecture.Arm64 => 280,
        var other => throw new PlatformNotSupportedException($"no bpf() syscall number known for {other}"),
    };

    /// <summary>perf_event_open(2), which has no libc wrapper.</summary>
    public static readonly long PerfEventOpen = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 298,
        Architecture.Arm64 => 241,
        var other => throw new PlatformNotSupportedException($"no perf_event_open syscall number known for {other}"),
    };
}
