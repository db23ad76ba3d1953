using System.Buffers.Binary;
using SharpBpf.Packets;

namespace SharpBpf.Tests.PcapFilter;

/// <summary>
/// A seeded capture holding every protocol the filter grammar names: IPv4 (TCP, UDP, SCTP, ICMP, IGMP, GRE,
/// PIM, VRRP, AH, ESP, first and later fragments, options), IPv6 (with hop-by-hop and fragment headers, ICMPv6),
/// ARP, RARP, 802.1Q and QinQ tags, MPLS stacks, 802.3/LLC (STP), PPPoE discovery, broadcast and multicast
/// destinations, runts and truncated frames.
/// </summary>
public static class ProtocolMixCapture
{
    private static readonly byte[][] Macs =
    [
        [0x02, 0, 0, 0, 0, 0x01], [0x02, 0, 0, 0, 0, 0x02], [0x00, 0x11, 0x22, 0x33, 0x44, 0x55],
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01], [0x33, 0x33, 0, 0, 0, 1],
    ];

    private static readonly string[] V4 = ["10.0.0.1", "1.2.3.4", "5.6.7.8", "192.168.1.1", "192.168.1.2", "172.16.0.9", "224.0.0.1", "255.255.255.255", "127.0.0.1", "1.1.1.1", "10.1.2.3", "0.0.0.0"];
    private static readonly string[] V6 = ["2001:db8::1", "fe80::1", "::1", "ff02::1", "2001:db8:1::5"];
    private static readonly ushort[] Ports = [22, 53, 80, 443, 8080, 1024, 5353, 0, 65535, 1500, 6005, 9, 100, 2000];
    private static readonly byte[] IpProtocols = [6, 17, 132, 1, 2, 47, 103, 112, 51, 50, 9];

    public static List<CapturedPacket> Build(int count, int seed = 15)
    {
        var random = new Random(seed);
        var packets = new List<CapturedPacket>(count);
        var time = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < count; i++)
        {
            var frame = Frame(random);
            var captured = frame;
            if (random.Next(20) == 0)
                captured = frame[..Math.Max(1, random.Next(frame.Length))]; // truncated by the snapshot length
            packets.Add(new CapturedPacket(time.AddMilliseconds(i), captured, frame.Length, LinkTypes.Ethernet));
        }
        return packets;
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    private static byte[] Frame(Random random)
    {
        var dst = Pick(random, Macs);
        var src = Pick(random, Macs[..3]);
        var tags = new List<byte>();
        var vlans = random.Next(6) switch { 0 => 1, 1 => 2, _ => 0 };
        var payload = random.Next(14) switch
        {
            0 => (0x0806, Arp(random)),
            1 => (0x8035, Arp(random)),
            2 or 3 or 4 => (0x86dd, Ipv6(random)),
            5 => (0x8847, Mpls(random)),
            6 => (0x8863, Pppoe(random)),
            7 => (-1, Llc(random)),
            _ => (0x0800, Ipv4(random)),
        };
        var frame = new List<byte>();
        frame.AddRange(dst);
        frame.AddRange(src);
        for (var v = 0; v < vlans; v++)
        {
            frame.AddRange(Be16(v == 0 && vlans == 2 ? (random.Next(2) == 0 ? 0x88a8 : 0x9100) : 0x8100));
            frame.AddRange(Be16(random.Next(3) switch { 0 => 100, 1 => 10, _ => random.Next(4096) }));
        }
        if (payload.Item1 < 0)
            frame.AddRange(Be16(payload.Item2.Length));
        else
            frame.AddRange(Be16(payload.Item1));
        frame.AddRange(payload.Item2);
        return [.. frame];
    }

    private static byte[] Be16(int v) => [(byte)(v >> 8), (byte)v];

    private static byte[] Address(string text) => System.Net.IPAddress.Parse(text).GetAddressBytes();

    private static byte[] Transport(Random random, byte protocol)
    {
        var sport = Pick(random, Ports);
        var dport = Pick(random, Ports);
        switch (protocol)
        {
            case 6:
            {
                var optionWords = random.Next(3);
                var tcp = new byte[20 + optionWords * 4 + random.Next(24)];
                BinaryPrimitives.WriteUInt16BigEndian(tcp, sport);
                BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), dport);
                tcp[12] = (byte)((5 + optionWords) << 4);
                tcp[13] = (byte)Pick(random, new[] { 0x02, 0x12, 0x10, 0x11, 0x04, 0x18, 0x01, 0xc2 });
                if (tcp.Length >= 24 + optionWords * 4 && random.Next(3) == 0)
                    "GET "u8.CopyTo(tcp.AsSpan(20 + optionWords * 4));
                return tcp;
            }
            case 17:
            case 132:
            {
                var udp = new byte[8 + random.Next(40)];
                BinaryPrimitives.WriteUInt16BigEndian(udp, sport);
                BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), dport);
                BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
                return udp;
            }
            case 1:
            case 58:
            {
                var icmp = new byte[8 + random.Next(16)];
                icmp[0] = (byte)(protocol == 1 ? Pick(random, new[] { 0, 3, 8, 11 }) : Pick(random, new[] { 128, 129, 135, 136, 1 }));
                icmp[1] = (byte)random.Next(4);
                return icmp;
            }
            default:
            {
                var body = new byte[4 + random.Next(20)];
                random.NextBytes(body);
                return body;
            }
        }
    }

    private static byte[] Ipv4(Random random)
    {
        var protocol = Pick(random, IpProtocols);
        var options = random.Next(5) == 0 ? 4 : 0;
        var body = Transport(random, protocol);
        var ip = new byte[20 + options + body.Length];
        ip[0] = (byte)(0x40 | (5 + options / 4));
        ip[1] = (byte)random.Next(256);
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)ip.Length);
        var fragment = random.Next(8) switch { 0 => 0x2000, 1 => 0x00b9, 2 => 0x4000, _ => 0 };
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(6), (ushort)fragment);
        ip[8] = (byte)Pick(random, new[] { 1, 64, 128, 255 });
        ip[9] = protocol;
        Address(Pick(random, V4)).CopyTo(ip, 12);
        Address(Pick(random, V4)).CopyTo(ip, 16);
        body.CopyTo(ip, 20 + options);
        return ip;
    }

    private static byte[] Ipv6(Random random)
    {
        var protocol = random.Next(6) == 0 ? (byte)58 : Pick(random, IpProtocols);
        var extension = random.Next(5) switch { 0 => 44, 1 => 0, _ => -1 };
        var body = Transport(random, protocol);
        var header = new List<byte>();
        if (extension >= 0)
            header.AddRange(new byte[] { protocol, 0, 0, 0, 0, 0, 0, 0 });
        var ip = new byte[40 + header.Count + body.Length];
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(4), (ushort)(header.Count + body.Length));
        ip[6] = extension >= 0 ? (byte)extension : protocol;
        ip[7] = 64;
        Address(Pick(random, V6)).CopyTo(ip, 8);
        Address(Pick(random, V6)).CopyTo(ip, 24);
        header.CopyTo(ip, 40);
        body.CopyTo(ip, 40 + header.Count);
        return ip;
    }

    private static byte[] Arp(Random random)
    {
        var arp = new byte[28];
        BinaryPrimitives.WriteUInt16BigEndian(arp, 1);
        BinaryPrimitives.WriteUInt16BigEndian(arp.AsSpan(2), 0x0800);
        arp[4] = 6;
        arp[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(arp.AsSpan(6), (ushort)random.Next(1, 5));
        Address(Pick(random, V4)).CopyTo(arp, 14);
        Address(Pick(random, V4)).CopyTo(arp, 24);
        return arp;
    }

    private static byte[] Mpls(Random random)
    {
        var labels = random.Next(1, 3);
        var inner = random.Next(2) == 0 ? Ipv4(random) : Ipv6(random);
        var stack = new List<byte>();
        for (var l = 0; l < labels; l++)
        {
            var label = (uint)Pick(random, new[] { 1, 2, 42, 1000 });
            var entry = label << 12 | (l == labels - 1 ? 0x100u : 0) | 64;
            stack.AddRange(new[] { (byte)(entry >> 24), (byte)(entry >> 16), (byte)(entry >> 8), (byte)entry });
        }
        return [.. stack, .. inner];
    }

    private static byte[] Pppoe(Random random) => [0x11, 0x09, 0, 0, 0, 0, .. new byte[random.Next(10)]];

    private static byte[] Llc(Random random) =>
        random.Next(2) == 0 ? [0x42, 0x42, 0x03, 0, 0, 0, 0, 0, .. new byte[30]] : [0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00, .. Ipv4(random)];
}
