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
        string? line = Format(vm, format[..nul], args);
        if (line is null)
            return unchecked((ulong)-Errno.EINVAL);
        vm.Options.TraceSink?.Invoke(line.TrimEnd('\n'));
        return (ulong)Encoding.UTF8.GetByteCount(line);
    }

    /// <summary>bpf_snprintf(str, str_size, fmt, args, args_len): formats into program memory, NUL-terminated, truncating;
    /// returns the length the whole output needs including the NUL.</summary>
    private static ulong Snprintf(VmCallContext vm, ulong str, ulong strSize, ulong fmt, ulong data, ulong dataLength)
    {
        var output = vm.GetSpan(str, strSize, write: true);
        var format = ReadCString(vm, fmt);
        if (format is null || !TryArgs(vm, data, dataLength, out var args))
            return unchecked((ulong)-Errno.EINVAL);
        string? text = Format(vm, format, args);
        if (text is null)
            return unchecked((ulong)-Errno.EINVAL);
        var bytes = Encoding.UTF8.GetBytes(text);
        if (!output.IsEmpty)
        {
            int n = Math.Min(bytes.Length, output.Length - 1);
            bytes.AsSpan(0, n).CopyTo(output);
            output[n] = 0;
        }
        return (ulong)bytes.Length + 1;
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
        string? line = Format(vm, format[..nul], [a1, a2, a3]);
        if (line is null)
            return unchecked((ulong)-Errno.EINVAL);
        vm.Options.TraceSink?.Invoke(line.TrimEnd('\n'));
        return (ulong)Encoding.UTF8.GetByteCount(line);
    }

    /// <summary>The formatted text, or null when the format uses something the kernel rejects.</summary>
    internal static string? Format(VmCallContext? vm, ReadOnlySpan<byte> format, ReadOnlySpan<ulong> args)
    {
        var sb = new StringBuilder();
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
                width = width * 10 + (format[i++] - '0');
            if (i < format.Length && format[i] == '.')
            {
                precision = 0;
                i++;
                while (i < format.Length && char.IsAsciiDigit((char)format[i]))
                    precision = precision * 10 + (format[i++] - '0');
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
            if (text.Length < width)
            {
                if (left) text = text.PadRight(width);
                else if (zero && conv != 's' && conv != 'c') text = text.StartsWith('-') ? "-" + text[1..].PadLeft(width - 1, '0') : text.PadLeft(width, '0');
                else text = text.PadLeft(width);
            }
            sb.Append(text);
        }
        return sb.ToString();
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
