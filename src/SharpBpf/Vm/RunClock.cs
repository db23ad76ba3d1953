using System.Diagnostics;
using SharpBpf.Native;

namespace SharpBpf.Vm;

/// <summary>
/// The clock timed runs are measured with, in nanoseconds: the calling thread's CPU time on Linux (CLOCK_THREAD_CPUTIME_ID),
/// which, as the kernel's test_run timer (it stops while the task is rescheduled), leaves out the time spent waiting for a
/// CPU on a busy machine; elsewhere the monotonic clock. Read once before and once after a batch of runs.
/// </summary>
internal static class RunClock
{
    public static long Nanoseconds() =>
        (OperatingSystem.IsLinux() ? LibC.Nanoseconds(LibC.CLOCK_THREAD_CPUTIME_ID) : null)
            ?? (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));

    /// <summary>The mean of <paramref name="repeat"/> runs in whole nanoseconds (as the kernel reports it), at least 1: a program that ran took time.</summary>
    public static ulong MeanNanoseconds(long elapsedNs, int repeat) =>
        Math.Max(1UL, (ulong)Math.Round((double)elapsedNs / repeat));
}
