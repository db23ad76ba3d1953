namespace XdpBlacklist;

/// <summary>Orders byte arrays lexicographically (IPv4 addresses by their dotted form's numeric order).</summary>
internal sealed class ByteOrder : IComparer<byte[]>
{
    public static readonly ByteOrder Instance = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
