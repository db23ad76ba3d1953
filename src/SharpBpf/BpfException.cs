namespace SharpBpf;

/// <summary>
/// The root of every error SharpBpf raises on purpose. The message is written for a person:
/// what failed, where, and when it helps, what to do about it.
/// </summary>
public class BpfException : Exception
{
    public BpfException(string message) : base(message) { }
    public BpfException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>A file that is not a valid BPF object (or ELF, BTF, pcap...): names the offset and what was wrong.</summary>
public class BpfFormatException : BpfException
{
    public BpfFormatException(string message, long offset = -1, string? file = null)
        : base(Describe(message, offset, file))
    {
        Offset = offset;
        File = file;
    }

    /// <summary>The byte offset in the input where the problem is, or -1 when not tied to one place.</summary>
    public long Offset { get; }
    public string? File { get; }

    private static string Describe(string message, long offset, string? file)
    {
        var where = file is null ? "" : file + ": ";
        return offset >= 0 ? $"{where}{message} (at file offset 0x{offset:x})" : where + message;
    }
}
