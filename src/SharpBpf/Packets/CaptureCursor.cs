namespace SharpBpf.Packets;

/// <summary>
/// Reads a capture file one packet at a time for loops over millions of packets: a classic pcap is parsed in place,
/// with no allocation per packet (<see cref="Data"/> is valid until the next <see cref="MoveNext"/>); pcapng goes
/// through <see cref="PcapReader"/>. Use <see cref="PcapReader.Read(string)"/> for packets you keep.
/// </summary>
public sealed class CaptureCursor : IDisposable
{
    private readonly FileStream _file;
    private readonly ClassicRecordCursor? _classic;
    private readonly IEnumerator<CapturedPacket>? _packets;

    private CaptureCursor(FileStream file, ClassicRecordCursor? classic, IEnumerator<CapturedPacket>? packets) =>
        (_file, _classic, _packets) = (file, classic, packets);

    /// <summary>Opens <paramref name="path"/> and reads its header; throws <see cref="BpfFormatException"/> for a file that is no capture.</summary>
    public static CaptureCursor Open(string path)
    {
        // Unbuffered: the classic cursor reads megabyte chunks itself.
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        try
        {
            var input = new CaptureInput(file, path);
            var first4 = PcapReader.ReadMagic(input);
            return PcapReader.IsPcapNg(first4)
                ? new CaptureCursor(file, null, PcapNgParser.Parse(input, first4).GetEnumerator())
                : new CaptureCursor(file, ClassicPcapParser.Open(input, first4), null);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Moves to the next packet; false at the end of the capture.</summary>
    public bool MoveNext() => _classic?.MoveNext() ?? _packets!.MoveNext();

    /// <summary>The current packet's captured bytes.</summary>
    public ReadOnlySpan<byte> Data => _classic is { } c ? c.Data : _packets!.Current.Data;

    /// <summary>The current packet's length on the wire.</summary>
    public int OriginalLength => _classic?.OriginalLength ?? _packets!.Current.OriginalLength;

    /// <summary>The LINKTYPE_* value of the current packet's interface.</summary>
    public int LinkType => _classic?.LinkType ?? _packets!.Current.LinkType;

    /// <summary>The current packet as a <see cref="CapturedPacket"/> (a copy of its bytes).</summary>
    public CapturedPacket Current => _classic is { } c
        ? new CapturedPacket(c.Timestamp, c.Data.ToArray(), c.OriginalLength, c.LinkType)
        : _packets!.Current;

    public void Dispose()
    {
        _packets?.Dispose();
        _file.Dispose();
    }
}
