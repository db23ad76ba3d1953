using System.Buffers.Binary;

namespace SharpBpf.Packets;

/// <summary>
/// Reads a capture stream front to back, tracking the offset for error messages, and decodes integers
/// in the byte order the file declared. Running out of bytes mid-structure is a <see cref="BpfFormatException"/>.
/// </summary>
internal sealed class CaptureInput
{
    private readonly Stream _stream;
    private readonly string? _file;

    public CaptureInput(Stream stream, string? file)
    {
        _stream = stream;
        _file = file;
    }

    public long Offset { get; private set; }
    public bool BigEndian { get; set; }

    /// <summary>Fills <paramref name="buffer"/>; returns false only when the stream ended before its first byte.</summary>
    public bool TryReadExactly(Span<byte> buffer, string what)
    {
        var read = ReadAtMost(buffer);
        if (read == 0 && buffer.Length > 0)
            return false;
        if (read < buffer.Length)
            throw Error($"truncated {what}: needs {buffer.Length} bytes, the file has {read} left", Offset - read);
        return true;
    }

    /// <param name="structureStart">Where the structure being read began, for the error (default: here).</param>
    public void ReadExactly(Span<byte> buffer, string what, long structureStart = -1)
    {
        var start = structureStart >= 0 ? structureStart : Offset;
        var read = ReadAtMost(buffer);
        if (read < buffer.Length)
            throw Error($"truncated {what}: needs {buffer.Length} bytes, the file has {read} left", start);
    }

    public byte[] ReadBytes(int count, string what)
    {
        // Read in chunks so a corrupt length cannot make us allocate far more than the file holds.
        const int chunk = 1 << 20;
        if (count <= chunk)
        {
            var small = new byte[count];
            ReadExactly(small, what);
            return small;
        }
        var start = Offset;
        using var collected = new MemoryStream();
        var buffer = new byte[chunk];
        while (collected.Length < count)
        {
            var want = (int)Math.Min(chunk, count - collected.Length);
            var read = ReadAtMost(buffer.AsSpan(0, want));
            collected.Write(buffer, 0, read);
            if (read < want)
                throw Error($"truncated {what}: needs {count} bytes, the file has {collected.Length} left", start);
        }
        return collected.ToArray();
    }

    public void Skip(long count, string what)
    {
        var start = Offset;
        if (_stream.CanSeek)
        {
            var left = _stream.Length - _stream.Position;
            if (left < count)
                throw Error($"truncated {what}: needs {count} bytes, the file has {left} left", start);
            _stream.Seek(count, SeekOrigin.Current);
            Offset += count;
            return;
        }
        Span<byte> scratch = stackalloc byte[4096];
        var remaining = count;
        while (remaining > 0)
        {
            var want = (int)Math.Min(scratch.Length, remaining);
            var read = ReadAtMost(scratch[..want]);
            remaining -= read;
            if (read < want)
                throw Error($"truncated {what}: needs {count} bytes, the file has {count - remaining} left", start);
        }
    }

    public ushort U16(ReadOnlySpan<byte> b) => BigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b) : BinaryPrimitives.ReadUInt16LittleEndian(b);
    public uint U32(ReadOnlySpan<byte> b) => BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);
    public ulong U64(ReadOnlySpan<byte> b) => BigEndian ? BinaryPrimitives.ReadUInt64BigEndian(b) : BinaryPrimitives.ReadUInt64LittleEndian(b);

    public BpfFormatException Error(string message, long offset) => new(message, offset, _file);

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the count read.</summary>
    public int ReadAtMost(Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var n = _stream.Read(buffer[total..]);
            if (n == 0)
                break;
            total += n;
        }
        Offset += total;
        return total;
    }
}
