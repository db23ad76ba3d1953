namespace SharpBpf.Packets;

/// <summary>Turns capture timestamps (a count of units since the Unix epoch) into <see cref="DateTimeOffset"/>.</summary>
internal static class CaptureTime
{
    private const long MaxUnixSeconds = 253402300799; // 9999-12-31T23:59:59Z, DateTimeOffset's limit

    /// <summary>Null when the instant lies outside what <see cref="DateTimeOffset"/> can hold.</summary>
    public static DateTimeOffset? FromUnits(ulong units, ulong unitsPerSecond, long offsetSeconds)
    {
        var seconds = units / unitsPerSecond;
        var fraction = units % unitsPerSecond;
        if (seconds > MaxUnixSeconds)
            return null;
        var total = (long)seconds + offsetSeconds;
        if (total < -62135596800 || total > MaxUnixSeconds)
            return null;
        var ticks = (long)((UInt128)fraction * TimeSpan.TicksPerSecond / unitsPerSecond);
        return DateTimeOffset.UnixEpoch.AddTicks(total * TimeSpan.TicksPerSecond + ticks);
    }
}
