using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SharpBpf.Objects;

namespace SharpBpf.Linux;

/// <summary>
/// Values for <c>__kconfig</c> externs, as libbpf supplies them: LINUX_KERNEL_VERSION from the running kernel's
/// release, CONFIG_* from /proc/config.gz or /boot/config-RELEASE (y = 1, m = 2, numbers, strings).
/// </summary>
public static class KernelConfig
{
    private static readonly Lazy<Dictionary<string, string>> Options = new(ReadOptions);

    /// <summary>KERNEL_VERSION(a, b, c) of the running kernel, the patch level clamped to 255 as libbpf does.</summary>
    public static uint LinuxKernelVersion()
    {
        var release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        var parts = release.Split('.', '-', '+');
        uint Part(int i) => i < parts.Length && uint.TryParse(parts[i], out var v) ? v : 0;
        return (Part(0) << 16) | (Part(1) << 8) | Math.Min(Part(2), 255u);
    }

    /// <summary>The raw text of a CONFIG_ option ("y", "m", "100", "\"str\""), or null when the kernel's config lacks it.</summary>
    public static string? Option(string name) => Options.Value.TryGetValue(name, out var v) ? v : null;

    /// <summary>Writes every kconfig extern of the object into a .kconfig value buffer of <paramref name="size"/> bytes.</summary>
    public static byte[] BuildKconfigValue(IEnumerable<ExternSpec> externs, int size)
    {
        var value = new byte[size];
        foreach (var ext in externs.Where(e => e.Kind == ExternKind.Kconfig))
        {
            if (ext.Offset < 0 || ext.Offset + ext.Size > size)
                throw new BpfException($"kconfig extern '{ext.Name}' lies outside the .kconfig map ({ext.Offset}+{ext.Size} > {size})");
            var slot = value.AsSpan(ext.Offset, ext.Size);
            if (ext.Name.StartsWith("LINUX_", StringComparison.Ordinal))
            {
                WriteInteger(slot, VirtualValue(ext));
                continue;
            }
            var text = ext.Name.StartsWith("CONFIG_", StringComparison.Ordinal) ? Option(ext.Name) : null;
            if (text is null)
            {
                if (!ext.Weak)
                    throw new BpfException($"the program needs kernel config '{ext.Name}', which this kernel's config does not set (declare it __weak to accept 0)");
                continue;
            }
            if (text == "y") WriteInteger(slot, 1);
            else if (text == "m") WriteInteger(slot, 2);
            else if (text == "n") WriteInteger(slot, 0);
            else if (text.StartsWith('"'))
            {
                var bytes = Encoding.UTF8.GetBytes(text.Trim('"'));
                bytes.AsSpan(0, Math.Min(bytes.Length, Math.Max(0, slot.Length - 1))).CopyTo(slot);
            }
            else if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && ulong.TryParse(text.AsSpan(2), System.Globalization.NumberStyles.HexNumber, null, out var hex))
                WriteInteger(slot, hex);
            else if (long.TryParse(text, out var number))
                WriteInteger(slot, (ulong)number);
            else
                throw new BpfException($"cannot use the value '{text}' of kernel config '{ext.Name}'");
        }
        return value;
    }

    /// <summary>The LINUX_* externs libbpf 1.1 computes itself; an unknown one is 0 when __weak, else refused.</summary>
    private static ulong VirtualValue(ExternSpec ext) => ext.Name switch
    {
        "LINUX_KERNEL_VERSION" => LinuxKernelVersion(),
        "LINUX_HAS_BPF_COOKIE" => FeatureProbe.HasBpfCookie ? 1u : 0u,
        "LINUX_HAS_SYSCALL_WRAPPER" => SyscallWrapper.Value ? 1u : 0u,
        _ when ext.Weak => 0,
        _ => throw new BpfException($"kconfig extern '{ext.Name}' is not a virtual extern libbpf knows " +
            "(LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE, LINUX_HAS_SYSCALL_WRAPPER); declare it __weak to accept 0"),
    };

    /// <summary>As libbpf: whether a kprobe on the arch-prefixed <c>__x64_sys_bpf</c> opens (not whether the symbol exists).</summary>
    private static readonly Lazy<bool> SyscallWrapper = new(() =>
        System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64
        && Attach.Kprobe.CanOpen("__x64_sys_bpf"));

    private static void WriteInteger(Span<byte> slot, ulong v)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, v);
        bytes[..Math.Min(8, slot.Length)].CopyTo(slot);
    }

    private static Dictionary<string, string> ReadOptions()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        TextReader? reader = null;
        try
        {
            if (File.Exists("/proc/config.gz"))
                reader = new StreamReader(new GZipStream(File.OpenRead("/proc/config.gz"), CompressionMode.Decompress));
            else
            {
                var release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
                var boot = $"/boot/config-{release}";
                if (File.Exists(boot))
                    reader = new StreamReader(boot);
            }
            if (reader is null)
                return result;
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                if (!line.StartsWith("CONFIG_", StringComparison.Ordinal))
                    continue;
                int eq = line.IndexOf('=');
                if (eq > 0)
                    result[line[..eq]] = line[(eq + 1)..];
            }
        }
        catch (IOException) { }
        catch (InvalidDataException) { }
        finally
        {
            reader?.Dispose();
        }
        return result;
    }
}
