using SharpBpf.Linux;
using SharpBpf.Text;
using System.Globalization;

namespace SharpBpf.Cli.Bpftool;

/// <summary>bpftool's keyword grammar (<c>id 5</c>, <c>pinned PATH</c>, <c>key 0x01 0 0 0</c>) over a token list.</summary>
public sealed class BpftoolArgs
{
    private readonly IReadOnlyList<string> _tokens;
    private int _next;

    public BpftoolArgs(IReadOnlyList<string> tokens) => _tokens = tokens;

    public bool AtEnd => _next >= _tokens.Count;
    public string? Peek => AtEnd ? null : _tokens[_next];
    public int Remaining => _tokens.Count - _next;

    public string Take(string what) =>
        AtEnd ? throw new ArgumentException($"expected {what}") : _tokens[_next++];

    public bool TryKeyword(string keyword)
    {
        if (AtEnd || !string.Equals(_tokens[_next], keyword, StringComparison.Ordinal))
            return false;
        _next++;
        return true;
    }

    public void Expect(string keyword)
    {
        if (!TryKeyword(keyword))
            throw new ArgumentException($"expected '{keyword}', got {(AtEnd ? "nothing" : $"'{Peek}'")}");
    }

    public void ExpectEnd()
    {
        if (!AtEnd)
            throw new ArgumentException($"too many arguments: '{Peek}'");
    }

    /// <summary>A number as bpftool reads it with strtoul(base 0): decimal, 0x hex or 0 octal.</summary>
    public static ulong ParseNumber(string text, string what) => CNumber.Parse(text, what);

    public uint TakeId(string what) => (uint)Math.Min(ParseNumber(Take(what), what), uint.MaxValue);

    /// <summary>
    /// Bytes as bpftool's parse_bytes reads them: <c>hex</c> then two-digit hex bytes, or numbers (base 0) one byte each.
    /// Reads exactly <paramref name="count"/> bytes.
    /// </summary>
    public byte[] TakeBytes(int count, string what)
    {
        var bytes = new byte[count];
        bool hex = TryKeyword("hex");
        for (int i = 0; i < count; i++)
        {
            if (AtEnd)
                throw new ArgumentException($"{what} expected {count} bytes, got {i}");
            var token = Take(what);
            ulong v;
            if (hex)
            {
                if (!ulong.TryParse(token, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out v))
                    throw new ArgumentException($"can't parse {what} byte '{token}' as hex");
            }
            else
            {
                v = ParseNumber(token, what + " byte");
            }
            if (v > 0xff)
                throw new ArgumentException($"{what} byte '{token}' is larger than 255");
            bytes[i] = (byte)v;
        }
        return bytes;
    }
}
