using System.Globalization;
using System.Text;

namespace SharpBpf.Vm.Helpers;

/// <summary>
/// bpf_trace_printk(fmt, fmt_size, a1, a2, a3): formats with the kernel's subset of printf (at most 3 arguments:
/// %d %i %u %x %X %c %s %p %px %pK %% with l/ll/h/hh modifiers, flags, width and precision)
/// and hands the line to <see cref="VmOptions.TraceSink"/>. Returns the length written, or -EINVAL for a format the
/// kernel refuses.
/// </summary>
internal static class TracePrintk
{
    private const int MaxVarargs = 12; // MAX_BPRINTF_VARARGS
    /// <summary>The kernel's output buffer for bpf_trace_printk and bpf_trace_vprintk (MAX_BPRINTF_BUF), NUL included.</summary>
    internal const int TraceBufferSize = 1024;
    private const int MaxWidth = (1 << 23) - 1;    // vsprintf's FIELD_WIDTH_MAX
    private const int MaxPrecision = (1 << 15) - 1; // vsprintf's PRECISION_MAX

    public static void Register(VmHelperTable t)
    {
        t.Register("bpf_trace_printk", Helper);
        t.Register("bpf_trace_vprintk", VPrintk);
        t.Register("bpf_snprintf", Snprintf);
    }

    /// <summary>bpf_trace_vprintk(fmt, fmt_size, args, args_len): bpf_printk with more than three arguments (u64 each in memory).</summary>
    private static ulong VPrintk(VmCallContext vm, ulong fmt, ulong fmtSize, ulong data, ulong dataLength, ulong r5)
    {
        var format = vm.GetSpan(fmt, fmtSize, write: false);
        int nul = format.IndexOf((byte)0);
        if (nul < 0 || !TryArgs(vm, data, dataLength, out var args))
            return unchecked((ulong)-Errno.EINVAL);
        return Trace(vm, format[..nul], args);
    }

    /// <summary>Formats into the kernel's fixed trace buffer (longer lines are cut) and returns the length the whole line needs.</summary>
    private static ulong Trace(VmCallContext vm, ReadOnlySpan<byte> format, ReadOnlySpan<ulong> args)
    {
        string? line = Format(vm, format, args, TraceBufferSize - 1, out long length);
        if (line is null)
            return unchecked((ulong)-Errno.EINVAL);
        vm.Options.TraceSink?.Invoke(line.TrimEnd('\n'));
        return (ulong)length;
    }

    /// <summary>bpf_snprintf(str, str_size, fmt, args, args_len): formats into program memory, NUL-terminated, truncating;
    /// returns the length the whole output needs including the NUL.</summary>
    private static ulong Snprintf(VmCallContext vm, ulong str, ulong strSize, ulong fmt, ulong data, ulong dataLength)
    {
        var output = vm.GetSpan(str, strSize, write: true);
        var format = ReadCString(vm, fmt);
        if (format is null || !TryArgs(vm, data, dataLength, out var args))
            return unchecked((ulong)-Errno.EINVAL);
        string? text = Format(vm, format, args, Math.Max(output.Length - 1, 0), out long length);
        if (text is null)
            return unchecked((ulong)-Errno.EINVAL);
        if (!output.IsEmpty)
        {
            int n = Encoding.Latin1.GetBytes(text, output);
            output[n] = 0;
        }
        return (ulong)length + 1;
    }

    private static bool TryArgs(VmCallContext vm, ulong data, ulong length, out ulong[] args)
    {
        args = [];
        if (length % 8 != 0 || length / 8 > MaxVarargs || (length == 0) != (data == 0))
            return false;
        var bytes = vm.GetSpan(data, length, write: false);
        args = new ulong[length / 8];
        for (int i = 0; i < args.Length; i++)
            args[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes[(i * 8)..]);
        return true;
    }

    /// <summary>A NUL-terminated string in program memory (bpf_snprintf's constant format), or null when it is not readable.</summary>
    private static byte[]? ReadCString(VmCallContext vm, ulong address)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < 4096; i++)
        {
            if (!vm.TryGetReadable(address + (ulong)i, 1, out var b))
                return null;
            if (b[0] == 0)
                return [.. bytes];
            bytes.Add(b[0]);
        }
        return null;
    }

    private static ulong Helper(VmCallContext vm, ulong fmt, ulong fmtSize, ulong a1, ulong a2, ulong a3)
    {
        var format = vm.GetSpan(fmt, fmtSize, write: false);
        int nul = format.IndexOf((byte)0);
        if (nul < 0)
            return unchecked((ulong)-Errno.EINVAL);
        return Trace(vm, format[..nul], [a1, a2, a3]);
    }

    /// <summary>The formatted text (cut to the trace buffer), or null when the format uses something the kernel rejects.</summary>
    internal static string? Format(VmCallContext? vm, ReadOnlySpan<byte> format, ReadOnlySpan<ulong> args) =>
        Format(vm, format, args, TraceBufferSize - 1, out _);

    /// <summary>
    /// The formatted text cut to <paramref name="capacity"/> characters, or null when the format uses something the kernel
    /// rejects; <paramref name="length"/> is the length of the whole text. Widths and precisions are clamped as vsprintf
    /// clamps them, padding is counted rather than built, and the whole length is charged to the run's budget.
    /// </summary>
    internal static string? Format(VmCallContext? vm, ReadOnlySpan<byte> format, ReadOnlySpan<ulong> args, int capacity, out long length)
    {
        var sb = new BoundedText(capacity);
        length = 0;
        int next = 0;
        for (int i = 0; i < format.Length; i++)
        {
            byte c = format[i];
            if (c != '%')
            {
                if (c >= 0x80 || (c < 0x20 && c is not ((byte)'\n' or (byte)'\t')))
                    return null; // the kernel only allows printable ASCII and whitespace
                sb.Append((char)c);
                continue;
            }
            if (++i >= format.Length)
                return null;
            if (format[i] == '%')
            {
                sb.Append('%');
                continue;
            }
            // flags, width, precision
            bool left = false, zero = false, plus = false, space = false;
            for (; i < format.Length; i++)
            {
                char f = (char)format[i];
                if (f == '-') left = true;
                else if (f == '0') zero = true;
                else if (f == '+') plus = true;
                else if (f == ' ') space = true;
                else if (f != '#') break;
            }
            int width = 0, precision = -1;
            while (i < format.Length && char.IsAsciiDigit((char)format[i]))
                width = Math.Min(width * 10 + (format[i++] - '0'), MaxWidth);
            if (i < format.Length && format[i] == '.')
            {
                precision = 0;
                i++;
                while (i < format.Length && char.IsAsciiDigit((char)format[i]))
                    precision = Math.Min(precision * 10 + (format[i++] - '0'), MaxPrecision);
            }
            int longs = 0, shorts = 0;
            while (i < format.Length && format[i] == 'l') { longs++; i++; }
            while (i < format.Length && format[i] == 'h') { shorts++; i++; }
            if (i >= format.Length || longs > 2 || shorts > 2)
                return null;
            if (next >= args.Length)
                return null;
            char conv = (char)format[i];
            ulong arg = args[next++];
            string text;
            switch (conv)
            {
                case 'd' or 'i':
                {
                    long v = longs > 0 ? (long)arg : shorts == 1 ? (short)arg : shorts == 2 ? (sbyte)arg : (int)arg;
                    text = v.ToString(CultureInfo.InvariantCulture);
                    if (v >= 0 && plus) text = "+" + text;
                    else if (v >= 0 && space) text = " " + text;
                    break;
                }
                case 'u' or 'x' or 'X':
                {
                    ulong v = longs > 0 ? arg : shorts == 1 ? (ushort)arg : shorts == 2 ? (byte)arg : (uint)arg;
                    text = conv == 'u' ? v.ToString(CultureInfo.InvariantCulture) : v.ToString(conv == 'x' ? "x" : "X", CultureInfo.InvariantCulture);
                    break;
                }
                case 'c':
                    text = ((char)(byte)arg).ToString();
                    break;
                case 'p':
                {
                    // %p, %px, %pK: the pointer value (the kernel hashes plain %p; the VM has nothing to hide).
                    if (i + 1 < format.Length && format[i + 1] is (byte)'x' or (byte)'K')
                        i++;
                    else if (i + 1 < format.Length && char.IsAsciiLetter((char)format[i + 1]))
                        return null; // %pI4, %pB... need kernel data the VM does not have
                    text = arg.ToString("x16", CultureInfo.InvariantCulture);
                    break;
                }
                case 's':
                    text = ReadString(vm, arg, precision);
                    break;
                default:
                    return null;
            }
            if (precision >= 0 && conv is 'd' or 'i' or 'u' or 'x' or 'X' && text.TrimStart('-', '+').Length < precision)
                text = text.StartsWith('-') ? "-" + text[1..].PadLeft(precision, '0') : text.PadLeft(precision, '0');
            int pad = Math.Max(width - text.Length, 0);
            if (left)
            {
                sb.Append(text);
                sb.Append(' ', pad);
            }
            else if (zero && conv != 's' && conv != 'c' && text.StartsWith('-'))
            {
                sb.Append("-");
                sb.Append('0', pad);
                sb.Append(text[1..]);
            }
            else
            {
                sb.Append(zero && conv != 's' && conv != 'c' ? '0' : ' ', pad);
                sb.Append(text);
            }
        }
        length = sb.Length;
        vm?.ChargeBytes((ulong)length);
        return sb.ToString();
    }

    /// <summary>Text kept up to a capacity while its whole length is counted (vsnprintf into a fixed buffer).</summary>
    private sealed class BoundedText(int capacity)
    {
        private readonly StringBuilder _kept = new();

        public long Length { get; private set; }

        public void Append(char c) => Append(c, 1);

        public void Append(char c, int count)
        {
            _kept.Append(c, Math.Min(count, capacity - _kept.Length));
            Length += count;
        }

        public void Append(string text)
        {
            _kept.Append(text.AsSpan(0, Math.Min(text.Length, capacity - _kept.Length)));
            Length += text.Length;
        }

        public override string ToString() => _kept.ToString();
    }

    /// <summary>A NUL-terminated string from program memory; the kernel prints an empty string when it cannot read it.</summary>
    private static string ReadString(VmCallContext? vm, ulong address, int precision)
    {
        if (vm is null)
            return "";
        var sb = new StringBuilder();
        int max = precision >= 0 ? precision : 1024;
        for (int i = 0; i < max; i++)
        {
            if (!vm.TryGetReadable(address + (ulong)i, 1, out var b) || b[0] == 0)
                break;
            sb.Append((char)b[0]);
        }
        return sb.ToString();
    }
}
