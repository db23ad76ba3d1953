using System.Runtime.InteropServices;

/// <summary>CPU time of the calling thread (user + kernel), as libbpf_bench.c's CLOCK_THREAD_CPUTIME_ID: on a busy
/// machine it leaves out the time spent waiting for a CPU, which wall time does not.</summary>
internal static partial class ThreadCpu
{
    private const int ClockThreadCputimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc")]
    private static partial int clock_gettime(int clock, out Timespec time);

    public static double Nanoseconds()
    {
        clock_gettime(ClockThreadCputimeId, out var t);
        return t.Seconds * 1e9 + t.Nanoseconds;
    }
}
