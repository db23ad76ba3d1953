using SharpBpf.Objects;

namespace SharpBpf.Cli.Objdump;

/// <summary>A growable char buffer with the fixed-width hex and decimal formatting objdump needs, flushed in chunks.</summary>
internal sealed class OutputBuffer
{
    private const string HexDigits = "0123456789abcdef";
    private readonly TextWriter _writer;
    private char[] _buffer = new char[1 << 16];
    private int _length;

    public OutputBuffer(TextWriter writer) => _writer = writer;

    private Span<char> Reserve(int count)
    {
        if (_length + count > _buffer.Length)
        {
            Flush();
            if (count > _buffer.Length)
                _buffer = new char[Math.Max(count, _buffer.Length * 2)];
        }
        return _buffer.AsSpan(_length, count);
    }

    public void Flush()
    {
        if (_length > 0)
            _writer.Write(_buffer, 0, _length);
        _length = 0;
    }

    public void Append(char c)
    {
        Reserve(1)[0] = c;
        _length++;
    }

    public void Append(ReadOnlySpan<char> text)
    {
        text.CopyTo(Reserve(text.Length));
        _length += text.Length;
    }

    public void Spaces(int count)
    {
        if (count <= 0)
            return;
        Reserve(count).Fill(' ');
        _length += count;
    }

    /// <summary>Appends <paramref name="text"/> left-justified in <paramref name="width"/> columns.</summary>
    public void Padded(ReadOnlySpan<char> text, int width)
    {
        Append(text);
        Spaces(width - text.Length);
    }

    /// <summary>Lower-case hex, zero-padded to at least <paramref name="width"/> digits (printf "%0*x").</summary>
    public void Hex(ulong value, int width)
    {
        int digits = 1;
        for (ulong v = value >> 4; v != 0; v >>= 4)
            digits++;
        int n = Math.Max(digits, width);
        var span = Reserve(n);
        for (int i = n - 1; i >= 0; i--, value >>= 4)
            span[i] = HexDigits[(int)(value & 0xf)];
        _length += n;
    }

    public void HexByte(byte b)
    {
        var span = Reserve(2);
        span[0] = HexDigits[b >> 4];
        span[1] = HexDigits[b & 0xf];
        _length += 2;
    }

    /// <summary>Decimal, right-justified in <paramref name="width"/> columns (printf "%*d").</summary>
    public void DecimalRight(long value, int width)
    {
        Span<char> tmp = stackalloc char[24];
        value.TryFormat(tmp, out int n, default, System.Globalization.CultureInfo.InvariantCulture);
        Spaces(width - n);
        Append(tmp[..n]);
    }

    /// <summary>Raw access for formatters that write in place: returns a span of <paramref name="max"/> chars; call <see cref="Commit"/> with what was used.</summary>
    public Span<char> Begin(int max) => Reserve(max);

    public void Commit(int used) => _length += used;
}
