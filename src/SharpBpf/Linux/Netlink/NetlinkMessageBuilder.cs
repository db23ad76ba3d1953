using System.Buffers.Binary;
using System.Text;

namespace SharpBpf.Linux.Netlink;

/// <summary>
/// Builds one netlink message: the 16-byte nlmsghdr, a family header (ifinfomsg, tcmsg...) and 4-byte aligned
/// attributes, nested ones included. The length and sequence are filled in by <see cref="NetlinkSocket"/>.
/// </summary>
internal sealed class NetlinkMessageBuilder
{
    public const ushort NLM_F_REQUEST = 1, NLM_F_ACK = 4, NLM_F_DUMP = 0x300, NLM_F_REPLACE = 0x100,
        NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400;
    public const ushort NLA_F_NESTED = 0x8000;

    private readonly List<byte> _buffer = new(256);
    private readonly Stack<int> _nests = new();

    public NetlinkMessageBuilder(ushort type, ushort flags, ReadOnlySpan<byte> familyHeader)
    {
        Type = type;
        Span<byte> header = stackalloc byte[16];
        header.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], flags);
        _buffer.AddRange(header);
        _buffer.AddRange(familyHeader);
        Pad();
    }

    public ushort Type { get; }

    public NetlinkMessageBuilder Attribute(ushort type, ReadOnlySpan<byte> payload)
    {
        Span<byte> h = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(h, (ushort)(4 + payload.Length));
        BinaryPrimitives.WriteUInt16LittleEndian(h[2..], type);
        _buffer.AddRange(h);
        _buffer.AddRange(payload);
        Pad();
        return this;
    }

    public NetlinkMessageBuilder U32(ushort type, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return Attribute(type, b);
    }

    public NetlinkMessageBuilder S32(ushort type, int value) => U32(type, unchecked((uint)value));

    /// <summary>A NUL-terminated string attribute.</summary>
    public NetlinkMessageBuilder String(ushort type, string value) => Attribute(type, Encoding.UTF8.GetBytes(value + "\0"));

    /// <summary>Opens a nested attribute; close it with <see cref="EndNest"/>.</summary>
    public NetlinkMessageBuilder BeginNest(ushort type)
    {
        _nests.Push(_buffer.Count);
        Span<byte> h = stackalloc byte[4];
        BinaryPrimitives.WriteUInt16LittleEndian(h[2..], (ushort)(type | NLA_F_NESTED));
        _buffer.AddRange(h);
        return this;
    }

    public NetlinkMessageBuilder EndNest()
    {
        var start = _nests.Pop();
        var len = (ushort)(_buffer.Count - start);
        _buffer[start] = (byte)len;
        _buffer[start + 1] = (byte)(len >> 8);
        return this;
    }

    /// <summary>The finished message with length, sequence number and port id in place.</summary>
    public byte[] Build(uint sequence)
    {
        if (_nests.Count != 0)
            throw new InvalidOperationException("netlink message has an unclosed nested attribute");
        var bytes = _buffer.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), sequence);
        return bytes;
    }

    private void Pad()
    {
        while (_buffer.Count % 4 != 0)
            _buffer.Add(0);
    }
}
