using System.Buffers.Binary;
using System.Net;

namespace SharpBpf.Tests.Packets;

/// <summary>Builds small Ethernet frames with correct IPv4 header checksums, for feeding test programs.</summary>
public static class TestFrames
{
    public static readonly byte[] MacA = [0x02, 0, 0, 0, 0, 0x0a];
    public static readonly byte[] MacB = [0x02, 0, 0, 0, 0, 0x0b];

    /// <param name="checksum">fill in the UDP checksum (otherwise 0: "none", as IPv4 allows).</param>
    public static byte[] Udp(string source, string destination, ushort sourcePort, ushort destinationPort, int payloadLength = 8,
        ushort? vlan = null, byte ttl = 64, bool checksum = false)
    {
        var frame = Ipv4(source, destination, 17, UdpSegment(sourcePort, destinationPort, payloadLength), vlan, ttl);
        if (checksum)
        {
            var l3 = frame.Length - 28 - payloadLength;
            var sum = UdpChecksum(frame.AsSpan(l3));
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(l3 + 26), sum == 0 ? (ushort)0xffff : sum);
        }
        return frame;
    }

    /// <summary>The UDP checksum over pseudo-header and segment of an IPv4 packet (0 when the stored one is valid).</summary>
    public static ushort UdpChecksum(ReadOnlySpan<byte> ipv4Packet)
    {
        var headerLength = (ipv4Packet[0] & 0xf) * 4;
        var segment = ipv4Packet[headerLength..BinaryPrimitives.ReadUInt16BigEndian(ipv4Packet[2..])];
        var buffer = new byte[12 + segment.Length + (segment.Length & 1)];
        ipv4Packet.Slice(12, 8).CopyTo(buffer);
        buffer[9] = 17;
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(10), (ushort)segment.Length);
        segment.CopyTo(buffer.AsSpan(12));
        return HeaderChecksum(buffer);
    }

    public static byte[] Tcp(string source, string destination, ushort sourcePort, ushort destinationPort)
    {
        var segment = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(segment, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), destinationPort);
        segment[12] = 5 << 4;
        segment[13] = 0x02; // SYN
        return Ipv4(source, destination, 6, segment, null, 64);
    }

    public static byte[] Icmp(string source, string destination) =>
        Ipv4(source, destination, 1, [8, 0, 0xf7, 0xfe, 0, 1, 0, 0], null, 64);

    public static byte[] Arp() =>
        [.. Ethernet(0x0806, null), .. new byte[28]];

    public static byte[] Ipv4(string source, string destination, byte protocol, byte[] payload, ushort? vlan, byte ttl)
    {
        var ip = new byte[20 + payload.Length];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)ip.Length);
        ip[8] = ttl;
        ip[9] = protocol;
        IPAddress.Parse(source).GetAddressBytes().CopyTo(ip, 12);
        IPAddress.Parse(destination).GetAddressBytes().CopyTo(ip, 16);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(10), HeaderChecksum(ip.AsSpan(0, 20)));
        payload.CopyTo(ip, 20);
        return [.. Ethernet(0x0800, vlan), .. ip];
    }

    /// <summary>The ones' complement sum over a header whose checksum field is included: 0 when it is valid.</summary>
    public static ushort HeaderChecksum(ReadOnlySpan<byte> header)
    {
        uint sum = 0;
        for (var i = 0; i + 1 < header.Length; i += 2)
            sum += BinaryPrimitives.ReadUInt16BigEndian(header[i..]);
        while (sum >> 16 != 0)
            sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }

    private static byte[] UdpSegment(ushort sourcePort, ushort destinationPort, int payloadLength)
    {
        var segment = new byte[8 + payloadLength];
        BinaryPrimitives.WriteUInt16BigEndian(segment, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(4), (ushort)segment.Length);
        for (var i = 8; i < segment.Length; i++)
            segment[i] = (byte)i;
        return segment;
    }

    private static byte[] Ethernet(ushort etherType, ushort? vlan)
    {
        var header = new List<byte>([.. MacB, .. MacA]);
        if (vlan is { } id)
            header.AddRange([0x81, 0x00, (byte)(id >> 8), (byte)id]);
        header.AddRange([(byte)(etherType >> 8), (byte)etherType]);
        return [.. header];
    }
}
