using System.Buffers.Binary;
using System.Text;

namespace SharpBpf.Linux.Netlink;

/// <summary>One attribute of a received message: its type (nested/byte-order flags masked off) and payload.</summary>
internal readonly struct NetlinkAttribute(ushort type, ReadOnlyMemory<byte> payload)
{
    public ushort Type { get; } = type;
    public ReadOnlyMemory<byte> Payload { get; } = payload;

    public uint U32 => Payload.Length >= 4 ? BinaryPrimitives.ReadUInt32LittleEndian(Payload.Span) : throw Short(4);
    public byte U8 => Payload.Length >= 1 ? Payload.Span[0] : throw Short(1);

    public string String
    {
        get
        {
            var s = Payload.Span;
            var end = s.IndexOf((byte)0);
            return Encoding.UTF8.GetString(end < 0 ? s : s[..end]);
        }
    }

    /// <summary>The attributes nested inside this one.</summary>
    public IReadOnlyList<NetlinkAttribute> Nested => NetlinkAttributes.Parse(Payload);

    private BpfFormatException Short(int want) => new($"netlink attribute {Type} has {Payload.Length} bytes, expected {want}");
}

/// <summary>Walks the 4-byte aligned attribute list of a netlink payload.</summary>
internal static class NetlinkAttributes
{
    public static IReadOnlyList<NetlinkAttribute> Parse(ReadOnlyMemory<byte> data)
    {
        var result = new List<NetlinkAttribute>();
        var offset = 0;
        while (offset + 4 <= data.Length)
        {
            var span = data.Span;
            var len = BinaryPrimitives.ReadUInt16LittleEndian(span[offset..]);
            var type = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(span[(offset + 2)..]) & 0x3fff);
            if (len < 4 || offset + len > data.Length)
                throw new BpfFormatException($"netlink attribute of length {len} overruns its message", offset);
            result.Add(new NetlinkAttribute(type, data.Slice(offset + 4, len - 4)));
            offset += (len + 3) & ~3;
        }
        return result;
    }

    /// <summary>The first attribute of <paramref name="type"/>, or null.</summary>
    public static NetlinkAttribute? Find(this IReadOnlyList<NetlinkAttribute> attributes, ushort type)
    {
        foreach (var a in attributes)
            if (a.Type == type)
                return a;
        return null;
    }
}

/// <summary>A received message: header fields and everything after the nlmsghdr.</summary>
internal readonly record struct NetlinkMessage(ushort Type, ushort Flags, uint Sequence, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The attributes that follow a family header of <paramref name="familyHeaderSize"/> bytes.</summary>
    public IReadOnlyList<NetlinkAttribute> Attributes(int familyHeaderSize) =>
        Payload.Length < familyHeaderSize ? [] : NetlinkAttributes.Parse(Payload[((familyHeaderSize + 3) & ~3)..]);
}
