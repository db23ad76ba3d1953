using System.Globalization;

namespace SharpBpf.Text;

/// <summary>Numbers as C's strtoul with base 0 reads them (0x hex, leading-0 octal, else decimal), as bpftool takes ids and values.</summary>
internal static class CNumber
{
    public static ulong Parse(string text, string what)
    {
        try
        {
            if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
                return ulong.Parse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (text.Length > 1 && text[0] == '0')
                return Convert.ToUInt64(text[1..], 8);
            return ulong.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new ArgumentException($"can't parse {what} '{text}' as a number");
        }
    }
}
