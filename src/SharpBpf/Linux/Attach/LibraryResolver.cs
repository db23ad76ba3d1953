using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace SharpBpf.Linux.Attach;

/// <summary>
/// Turns the binary named in "uprobe/libc.so.6:malloc" into a path: absolute paths as they are, "libc.so.6"-style
/// library names through /etc/ld.so.cache then the usual library directories, other bare names through PATH.
/// </summary>
public static class LibraryResolver
{
    private static readonly string[] LibraryDirs =
    [
        "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
        "/lib64", "/usr/lib64", "/lib", "/usr/lib",
    ];

    public static string Resolve(string binary, string ldCache = "/etc/ld.so.cache")
    {
        if (string.IsNullOrEmpty(binary))
            throw new BpfHookSpecException("no binary named for the uprobe (expected <path or library>:<symbol>)");
        if (binary.Contains('/'))
        {
            if (!File.Exists(binary))
                throw new BpfHookSpecException($"uprobe target {binary} does not exist");
            return Path.GetFullPath(binary);
        }
        if (binary.Contains(".so"))
        {
            if (File.Exists(ldCache) && FromLdCache(File.ReadAllBytes(ldCache), binary) is { } cached && File.Exists(cached))
                return cached;
            foreach (var dir in LibraryDirs)
                if (File.Exists(Path.Combine(dir, binary)))
                    return Path.Combine(dir, binary);
            throw new BpfHookSpecException($"library '{binary}' is neither in {ldCache} nor in {string.Join(", ", LibraryDirs)}");
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, binary)))
                return Path.Combine(dir, binary);
        throw new BpfHookSpecException($"'{binary}' is not on PATH; give the binary's full path");
    }

    /// <summary>
    /// Looks a library name up in an ld.so.cache image (the "glibc-ld.so.cache1.1" format, alone or after the old
    /// "ld.so-1.7.0" table), preferring entries built for this process's architecture.
    /// </summary>
    public static string? FromLdCache(ReadOnlySpan<byte> cache, string name)
    {
        var magic = "glibc-ld.so.cache1.1"u8;
        var start = cache.IndexOf(magic);
        if (start < 0 || start + 48 > cache.Length)
            return null;
        var header = cache[start..];
        var count = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
        var wantArch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 0x0300,
            Architecture.Arm64 => 0x0a00,
            _ => -1,
        };
        string? fallback = null;
        for (var i = 0; i < count; i++)
        {
            var e = 48 + i * 24;
            if (e + 24 > header.Length)
                break;
            var flags = BinaryPrimitives.ReadInt32LittleEndian(header[e..]);
            var key = ReadString(header, BinaryPrimitives.ReadUInt32LittleEndian(header[(e + 4)..]));
            if (key != name)
                continue;
            var value = ReadString(header, BinaryPrimitives.ReadUInt32LittleEndian(header[(e + 8)..]));
            if (value is null)
                continue;
            if ((flags & 0xff00) == wantArch)
                return value;
            fallback ??= value;
        }
        return fallback;
    }

    private static string? ReadString(ReadOnlySpan<byte> header, uint offset)
    {
        if (offset >= header.Length)
            return null;
        var s = header[(int)offset..];
        var end = s.IndexOf((byte)0);
        return end < 0 ? null : Encoding.UTF8.GetString(s[..end]);
    }
}
