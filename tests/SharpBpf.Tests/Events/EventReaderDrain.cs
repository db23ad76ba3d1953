using SharpBpf.Events;

namespace SharpBpf.Tests.Events;

internal static class EventReaderDrain
{
    /// <summary>Every record ready now (samples only), copied out, without waiting.</summary>
    public static List<byte[]> Drain(this IBpfEventReader reader)
    {
        var got = new List<byte[]>();
        var buffer = new byte[64 * 1024];
        while (reader.TryRead(buffer, out var record))
            if (!record.IsLost)
                got.Add(buffer.AsSpan(0, record.Length).ToArray());
        return got;
    }
}
