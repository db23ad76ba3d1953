using System.Buffers.Binary;
using SharpBpf.Packets;

namespace SharpBpf.Tests.Packets;

/// <summary>
/// Hand-encodes capture files in either byte order for the cases tools do not write (big-endian files,
/// simple packet blocks, unknown blocks, binary timestamp resolutions). tshark, not this code, is the
/// judge of whether they are right.
/// </summary>
public sealed class CaptureBuilder
{
    private readonly MemoryStream _out = new();
    private bool _big;

    public byte[] ToArray() => _out.ToArray();

    private void U16(ushort v) { Span<byte> b = stackalloc byte[2]; if (_big) BinaryPrimitives.WriteUInt16BigEndian(b, v); else BinaryPrimitives.WriteUInt16LittleEndian(b, v); _out.Write(b); }
    private void U32(uint v) { Span<byte> b = stackalloc byte[4]; if (_big) BinaryPrimitives.WriteUInt32BigEndian(b, v); else BinaryPrimitives.WriteUInt32LittleEndian(b, v); _out.Write(b); }
    private void U64(ulong v) { Span<byte> b = stackalloc byte[8]; if (_big) BinaryPrimitives.WriteUInt64BigEndian(b, v); else BinaryPrimitives.WriteUInt64LittleEndian(b, v); _out.Write(b); }
    private void Pad() { while (_out.Length % 4 != 0) _out.WriteByte(0); }

    /// <summary>A classic pcap file with the given byte order and timestamp precision.</summary>
    public static byte[] Classic(IEnumerable<CapturedPacket> packets, bool bigEndian, bool nanoseconds, int linkType = LinkTypes.Ethernet)
    {
        var b = new CaptureBuilder { _big = bigEndian };
        b.U32(nanoseconds ? 0xA1B23C4Du : 0xA1B2C3D4u);
        b.U16(2); b.U16(4); b.U32(0); b.U32(0); b.U32(262144); b.U32((uint)linkType);
        foreach (var p in packets)
        {
            var ticks = p.Timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
            b.U32((uint)(ticks / TimeSpan.TicksPerSecond));
            var frac = ticks % TimeSpan.TicksPerSecond;
            b.U32((uint)(nanoseconds ? frac * 100 : frac / 10));
            b.U32((uint)p.Data.Length); b.U32((uint)p.OriginalLength);
            b._out.Write(p.Data);
        }
        return b.ToArray();
    }

    public CaptureBuilder Section(bool bigEndian)
    {
        _big = bigEndian;
        U32(0x0A0D0D0A); U32(28); U32(0x1A2B3C4D); U16(1); U16(0); U64(ulong.MaxValue); U32(28);
        return this;
    }

    /// <param name="tsresol">if_tsresol byte (6 = microseconds, 9 = nanoseconds, 0x80|n = 2^-n), or null for none.</param>
    public CaptureBuilder Interface(int linkType, uint snapLength, byte? tsresol)
    {
        var length = 20u + (tsresol is null ? 0u : 8u) + 4u;
        U32(1); U32(length); U16((ushort)linkType); U16(0); U32(snapLength);
        if (tsresol is { } r)
        {
            U16(9); U16(1); _out.WriteByte(r); Pad();
        }
        U16(0); U16(0); // opt_endofopt
        U32(length);
        return this;
    }

    public CaptureBuilder Enhanced(uint interfaceId, ulong units, byte[] data, int originalLength)
    {
        var padded = (uint)((data.Length + 3) & ~3);
        var length = 32 + padded;
        U32(6); U32(length); U32(interfaceId); U32((uint)(units >> 32)); U32((uint)units);
        U32((uint)data.Length); U32((uint)originalLength);
        _out.Write(data); Pad();
        U32(length);
        return this;
    }

    /// <summary>A simple packet block: it holds min(frame length, the interface's snapshot length) bytes.</summary>
    public CaptureBuilder Simple(byte[] frame, uint snapLength = 0)
    {
        var data = snapLength == 0 ? frame : frame[..(int)Math.Min(snapLength, frame.Length)];
        var padded = (uint)((data.Length + 3) & ~3);
        var length = 16 + padded;
        U32(3); U32(length); U32((uint)frame.Length); _out.Write(data); Pad(); U32(length);
        return this;
    }

    public CaptureBuilder Unknown(uint type, int bodyLength)
    {
        var length = (uint)(12 + ((bodyLength + 3) & ~3));
        U32(type); U32(length); _out.Write(new byte[length - 12]); U32(length);
        return this;
    }
}
