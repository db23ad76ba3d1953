namespace SharpBpf.Packets;

/// <summary>
/// The records of a classic pcap file, parsed in place in a large reused buffer: one packet at a time, with no
/// allocation or stream call per packet. The single place that checks a record (its lengths and timestamp); both
/// <see cref="ClassicPcapParser"/> and <see cref="CaptureCursor"/> read through it.
/// </summary>
internal sealed class ClassicRecordCursor
{
    private const int ChunkSize = 1 << 20;

    private readonly CaptureInput _input;
    private readonly ulong _unitsPerSecond;
    private byte[] _buffer = new byte[ChunkSize];
    private int _start, _end;      // unread bytes: _buffer[_start.._end]
    private long _bufferOffset;    // file offset of _buffer[0]
    private int _dataStart, _dataLength;
    private uint _seconds, _fraction;

    public ClassicRecordCursor(CaptureInput input, int linkType, ulong unitsPerSecond)
    {
        _input = input;
        _unitsPerSecond = unitsPerSecond;
        LinkType = linkType;
        _bufferOffset = input.Offset;
    }

    public int LinkType { get; }
    public int OriginalLength { get; private set; }
    public ReadOnlySpan<byte> Data => _buffer.AsSpan(_dataStart, _dataLength);
    public DateTimeOffset Timestamp => CaptureTime.FromUnits(_seconds * _unitsPerSecond + _fraction, _unitsPerSecond, 0)!.Value;

    /// <summary>Moves to the next record; false at the end of the file. A corrupt or cut record throws.</summary>
    public bool MoveNext()
    {
        const int headerSize = PcapFormat.ClassicRecordHeaderSize;
        if (!Fill(headerSize))
        {
            if (_start == _end)
                return false;
            throw _input.Error($"truncated packet record header: needs {headerSize} bytes, the file has {_end - _start} left", At(_start));
        }
        var at = At(_start);
        var header = _buffer.AsSpan(_start, headerSize);
        _seconds = _input.U32(header);
        _fraction = _input.U32(header[4..]);
        var captured = _input.U32(header[8..]);
        var original = _input.U32(header[12..]);
        if (captured > PcapFormat.MaxPacketLength)
            throw _input.Error($"packet record claims {captured} captured bytes (limit {PcapFormat.MaxPacketLength}): corrupt record", at + 8);
        if (original > int.MaxValue)
            throw _input.Error($"packet record claims an original length of {original} bytes: corrupt record", at + 12);
        if (_fraction >= _unitsPerSecond)
            throw _input.Error($"packet record's sub-second timestamp {_fraction} is not below {_unitsPerSecond}: corrupt record", at + 4);
        if (!Fill(headerSize + (int)captured))
            throw _input.Error($"truncated packet data: needs {captured} bytes, the file has {_end - _start - headerSize} left", at + headerSize);
        _dataStart = _start + headerSize;
        _dataLength = (int)captured;
        OriginalLength = (int)original;
        _start = _dataStart + _dataLength;
        return true;
    }

    private long At(int index) => _bufferOffset + index;

    /// <summary>Makes at least <paramref name="count"/> unread bytes available; false when the file ends first.</summary>
    private bool Fill(int count)
    {
        if (_end - _start >= count)
            return true;
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _bufferOffset += _start;
            _end -= _start;
            _start = 0;
        }
        if (count > _buffer.Length)
            Array.Resize(ref _buffer, Math.Max(count, _buffer.Length * 2));
        while (_end < count)
        {
            var read = _input.ReadAtMost(_buffer.AsSpan(_end));
            if (read == 0)
                return false;
            _end += read;
        }
        return true;
    }
}
