using System.Globalization;

namespace SharpBpf.Isa.Disassembly;

/// <summary>Appends text to a caller's span without allocating; remembers when the span was too small.</summary>
internal ref struct TextSink
{
    private readonly Span<char> _buffer;
    private int _length;
    private bool _overflow;

    public TextSink(Span<char> buffer)
    {
        _buffer = buffer;
        _length = 0;
        _overflow = false;
    }

    public readonly int Length => _length;
    public readonly bool Overflowed => _overflow;

    public void Append(char c)
    {
        if (_length < _buffer.Length)
            _buffer[_length++] = c;
        else
            _overflow = true;
    }

    public void Append(scoped ReadOnlySpan<char> text)
    {
        if (text.TryCopyTo(_buffer[_length..]))
            _length += text.Length;
        else
            _overflow = true;
    }

    public void Append(long value)
    {
        if (value.TryFormat(_buffer[_length..], out int n, default, CultureInfo.InvariantCulture))
            _length += n;
        else
            _overflow = true;
    }

    public void AppendUnsigned(ulong value)
    {
        if (value.TryFormat(_buffer[_length..], out int n, default, CultureInfo.InvariantCulture))
            _length += n;
        else
            _overflow = true;
    }

    /// <summary>Lower-case hex digits without prefix.</summary>
    public void AppendHexDigits(ulong value)
    {
        if (value.TryFormat(_buffer[_length..], out int n, "x", CultureInfo.InvariantCulture))
            _length += n;
        else
            _overflow = true;
    }

    /// <summary>A signed value as LLVM prints it: decimal, or with hex <c>0x1f</c> / <c>-0x1f</c>.</summary>
    public void AppendSigned(long value, bool hex)
    {
        if (!hex)
        {
            Append(value);
            return;
        }
        if (value < 0)
            Append('-');
        Append("0x");
        AppendHexDigits(value < 0 ? (ulong)(-(value + 1)) + 1 : (ulong)value);
    }

    public void AppendUnsigned(ulong value, bool hex)
    {
        if (!hex)
        {
            AppendUnsigned(value);
            return;
        }
        Append("0x");
        AppendHexDigits(value);
    }

    public readonly string ToStringAndCheck() => new(_buffer[.._length]);
}
