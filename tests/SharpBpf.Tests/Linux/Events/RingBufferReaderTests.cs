using SharpBpf.Linux.Events;
using SharpBpf.Tests.Events;
using SharpBpf.Tests.Linux.Attach;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux.Events;

/// <summary>What only the kernel's ring buffer reader has: its mappings and map checks (the rest: <see cref="KernelEventReaderTests"/>).</summary>
public class RingBufferReaderTests
{
    [SkippableFact]
    public async Task DisposeDuringAWaitingReadUnmapsEverything()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject(EventSource.RingProgram);
        var reader = new RingBufferReader(obj.Map("events"));
        Assert.Equal(4096 * 4, reader.Size);
        Assert.Equal(0, reader.Pending);
        var mapped = MapsLines(reader.Mappings);
        Assert.Equal(2, mapped.Count);  // consumer page; producer page + data twice
        var pending = reader.ReadIntoAsync(new byte[16]);
        Assert.False(pending.IsCompleted);
        reader.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.AsTask());
        AssertUnmapped(mapped);
        Assert.Throws<ObjectDisposedException>(() => reader.Pending);
    }

    [SkippableFact]
    public void RejectsMapsThatAreNotRingBuffers()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject(EventSource.RingProgram);
        var e = Assert.Throws<ArgumentException>(() => new RingBufferReader(obj.Map("counts")));
        Assert.Contains("not a ring buffer", e.Message);
    }

    /// <summary>The /proc/self/maps lines of the given mappings (start, end, flags, offset, device, inode, name).</summary>
    internal static List<string> MapsLines((nint Start, long Length)[] mappings)
    {
        var wanted = mappings.Select(m => $"{(long)m.Start:x}-{(long)m.Start + m.Length:x} ").ToArray();
        return File.ReadLines("/proc/self/maps").Where(l => wanted.Any(w => l.StartsWith(w, StringComparison.Ordinal))).ToList();
    }

    /// <summary>
    /// Asserts that none of the exact mappings seen while the reader lived is still there (tests running in parallel
    /// may map something else at a freed address; the full line tells them apart).
    /// </summary>
    internal static void AssertUnmapped(List<string> before) =>
        Assert.Empty(File.ReadLines("/proc/self/maps").Intersect(before));
}
