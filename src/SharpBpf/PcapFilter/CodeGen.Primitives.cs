using static SharpBpf.Cbpf.Cbpf;

namespace SharpBpf.PcapFilter;

/// <summary>The primitives: hosts, networks, ports, protocols, VLAN/MPLS, broadcast/multicast and lengths.</summary>
internal sealed partial class CodeGen
{
    private static readonly string[] ProtoNames =
    [
        "", "link", "ip", "arp", "rarp", "sctp", "tcp", "udp", "icmp", "igmp", "igrp", "atalk", "decnet", "lat", "sca", "moprc",
        "mopdl", "ip6", "icmp6", "ah", "esp", "pim", "vrrp", "aarp", "iso", "esis", "isis", "clnp", "stp", "ipx", "netbeui",
        "l1", "l2", "iih", "snp", "csnp", "psnp", "lsp", "radio", "carp",
    ];

    public static string ProtoName(int proto) => proto >= 0 && proto < ProtoNames.Length ? ProtoNames[proto] : proto.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private delegate Block DirectedTest(int dir);

    /// <summary>The src/dst/and/or expansion every address primitive shares.</summary>
    private static Block ByDirection(int dir, DirectedTest single)
    {
        switch (dir)
        {
            case Q.And:
            {
                var b0 = single(Q.Src);
                var b1 = single(Q.Dst);
                And(b0, b1);
                return b1;
            }
            case Q.Default:
            case Q.Or:
            {
                var b0 = single(Q.Src);
                var b1 = single(Q.Dst);
                Or(b0, b1);
                return b1;
            }
            case Q.Src:
            case Q.Dst:
                return single(dir);
            default:
                throw new PcapFilterException("802.11 address qualifiers (addr1-4, ra, ta) apply only to 802.11 captures");
        }
    }

    private Block HostOp(uint addr, uint mask, int dir, uint llProto, uint srcOff, uint dstOff) =>
        ByDirection(dir, d =>
        {
            var b0 = LinkTypeTest(llProto);
            var b1 = Mcmp(OffRel.LinkPl, d == Q.Src ? srcOff : dstOff, W, addr, mask);
            And(b0, b1);
            return b1;
        });

    private Block HostOp6(byte[] addr, byte[] mask, int dir, uint llProto, uint srcOff, uint dstOff) =>
        ByDirection(dir, d =>
        {
            var offset = d == Q.Src ? srcOff : dstOff;
            uint Word(byte[] v, int i) => (uint)(v[i * 4] << 24 | v[i * 4 + 1] << 16 | v[i * 4 + 2] << 8 | v[i * 4 + 3]);
            var b1 = Mcmp(OffRel.LinkPl, offset + 12, W, Word(addr, 3), Word(mask, 3));
            for (var i = 2; i >= 0; i--)
            {
                var b0 = Mcmp(OffRel.LinkPl, offset + (uint)(4 * i), W, Word(addr, i), Word(mask, i));
                And(b0, b1);
            }
            var lt = LinkTypeTest(llProto);
            And(lt, b1);
            return b1;
        });

    public Block Host(uint addr, uint mask, int proto, int dir, int type)
    {
        var typestr = type == Q.Net ? "net" : "host";
        switch (proto)
        {
            case Q.Default:
            {
                var b0 = Host(addr, mask, Q.Ip, dir, type);
                if (LabelStackDepth == 0)
                {
                    var b1 = Host(addr, mask, Q.Arp, dir, type);
                    Or(b0, b1);
                    b0 = Host(addr, mask, Q.Rarp, dir, type);
                    Or(b1, b0);
                }
                return b0;
            }
            case Q.Link: throw new PcapFilterException($"link-layer modifier applied to {typestr}");
            case Q.Ip: return HostOp(addr, mask, dir, EtherTypeIp, 12, 16);
            case Q.Rarp: return HostOp(addr, mask, dir, EtherTypeRevArp, 14, 24);
            case Q.Arp: return HostOp(addr, mask, dir, EtherTypeArp, 14, 24);
            case Q.Ipv6: throw new PcapFilterException("'ip6' modifier applied to ip host");
            case Q.Atalk: throw new PcapFilterException("AppleTalk host filtering not implemented");
            case Q.Lat: throw new PcapFilterException("LAT host filtering not implemented");
            case Q.Sca: throw new PcapFilterException("SCA host filtering not implemented");
            case Q.Moprc: throw new PcapFilterException("MOPRC host filtering not implemented");
            case Q.Mopdl: throw new PcapFilterException("MOPDL host filtering not implemented");
            case Q.Aarp: throw new PcapFilterException("AARP host filtering not implemented");
            case Q.Iso: throw new PcapFilterException("ISO host filtering not implemented");
            case Q.Ipx: throw new PcapFilterException("IPX host filtering not implemented");
            case Q.Decnet: throw new PcapFilterException("DECnet host filtering is not supported by this compiler");
            default: throw new PcapFilterException($"'{ProtoName(proto)}' modifier applied to {typestr}");
        }
    }

    public Block Host6(byte[] addr, byte[] mask, int proto, int dir, int type)
    {
        var typestr = type == Q.Net ? "net" : "host";
        return proto switch
        {
            Q.Default or Q.Ipv6 => HostOp6(addr, mask, dir, EtherTypeIpv6, 8, 24),
            Q.Link => throw new PcapFilterException($"link-layer modifier applied to ip6 {typestr}"),
            Q.Atalk => throw new PcapFilterException($"AppleTalk modifier applied to ip6 {typestr}"),
            _ => throw new PcapFilterException($"'{ProtoName(proto)}' modifier applied to ip6 {typestr}"),
        };
    }

    public Block EtherHost(byte[] eaddr, int dir)
    {
        if (!IsEthernet)
            throw new PcapFilterException("ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel");
        return ByDirection(dir, d => Bcmp(OffRel.LinkHdr, d == Q.Src ? 6u : 0u, eaddr));
    }

    // ---- protocols ----

    public Block ProtoAbbrev(int proto)
    {
        switch (proto)
        {
            case Q.Sctp: return Proto(IpProtoSctp, Q.Default, Q.Default);
            case Q.Tcp: return Proto(IpProtoTcp, Q.Default, Q.Default);
            case Q.Udp: return Proto(IpProtoUdp, Q.Default, Q.Default);
            case Q.Icmp: return Proto(IpProtoIcmp, Q.Ip, Q.Default);
            case Q.Igmp: return Proto(IpProtoIgmp, Q.Ip, Q.Default);
            case Q.Igrp: return Proto(IpProtoIgrp, Q.Ip, Q.Default);
            case Q.Pim: return Proto(IpProtoPim, Q.Default, Q.Default);
            case Q.Vrrp: return Proto(IpProtoVrrp, Q.Ip, Q.Default);
            case Q.Carp: return Proto(IpProtoVrrp, Q.Ip, Q.Default);
            case Q.Ip: return LinkTypeTest(EtherTypeIp);
            case Q.Arp: return LinkTypeTest(EtherTypeArp);
            case Q.Rarp: return LinkTypeTest(EtherTypeRevArp);
            case Q.Link: throw new PcapFilterException("link layer applied in wrong context");
            case Q.Decnet: return LinkTypeTest(EtherTypeDn);
            case Q.Sca: return LinkTypeTest(EtherTypeSca);
            case Q.Lat: return LinkTypeTest(EtherTypeLat);
            case Q.Mopdl: return LinkTypeTest(EtherTypeMopDl);
            case Q.Moprc: return LinkTypeTest(EtherTypeMopRc);
            case Q.Ipv6: return LinkTypeTest(EtherTypeIpv6);
            case Q.Icmpv6: return Proto(IpProtoIcmpv6, Q.Ipv6, Q.Default);
            case Q.Ah: return Proto(IpProtoAh, Q.Default, Q.Default);
            case Q.Esp: return Proto(IpProtoEsp, Q.Default, Q.Default);
            case Q.Stp: return LinkTypeTest(0x42);
            case Q.Netbeui: return LinkTypeTest(0xf0);
            case Q.Iso: return LinkTypeTest(0xfe);
            default: throw new PcapFilterException($"'{ProtoName(proto)}' is not supported by this compiler");
        }
    }

    public Block Proto(uint v, int proto, int dir)
    {
        if (dir != Q.Default)
            throw new PcapFilterException("direction applied to 'proto'");
        switch (proto)
        {
            case Q.Default:
            {
                var b0 = Proto(v, Q.Ip, dir);
                var b1 = Proto(v, Q.Ipv6, dir);
                Or(b0, b1);
                return b1;
            }
            case Q.Link:
                return LinkTypeTest(v);
            case Q.Ip:
            {
                var b0 = LinkTypeTest(EtherTypeIp);
                var b1 = Cmp(OffRel.LinkPl, 9, B, v);
                And(b0, b1);
                return b1;
            }
            case Q.Ipv6:
            {
                var b0 = LinkTypeTest(EtherTypeIpv6);
                var b2 = Cmp(OffRel.LinkPl, 6, B, IpProtoFragment);
                var b1 = Cmp(OffRel.LinkPl, 40, B, v);
                And(b2, b1);
                b2 = Cmp(OffRel.LinkPl, 6, B, v);
                Or(b2, b1);
                And(b0, b1);
                return b1;
            }
            case Q.Arp: throw new PcapFilterException("arp does not encapsulate another protocol");
            case Q.Rarp: throw new PcapFilterException("rarp does not encapsulate another protocol");
            case Q.Atalk: throw new PcapFilterException("AppleTalk encapsulation is not specifiable");
            case Q.Decnet: throw new PcapFilterException("DECNET encapsulation is not specifiable");
            case Q.Lat: throw new PcapFilterException("LAT does not encapsulate another protocol");
            case Q.Sca: throw new PcapFilterException("SCA does not encapsulate another protocol");
            case Q.Moprc: throw new PcapFilterException("MOPRC does not encapsulate another protocol");
            case Q.Mopdl: throw new PcapFilterException("MOPDL does not encapsulate another protocol");
            case Q.Sctp or Q.Tcp or Q.Udp or Q.Icmp or Q.Igmp or Q.Igrp:
                throw new PcapFilterException($"'{ProtoName(proto)} proto' is bogus");
            default:
                throw new PcapFilterException($"'{ProtoName(proto)} proto' is not supported by this compiler");
        }
    }

    private Block IpFrag()
    {
        var b = new Block(Jmp | Jset | K, 0x1fff) { Stmts = LoadA(OffRel.LinkPl, 6, H) };
        Not(b);
        return b;
    }

    // ---- ports ----

    private delegate Block PortAtom(uint off, bool ipv6);

    private Block PortOp(uint proto, int dir, bool ipv6, PortAtom atom)
    {
        Block b0;
        if (ipv6)
        {
            b0 = Cmp(OffRel.LinkPl, 6, B, proto);
        }
        else
        {
            var tmp = Cmp(OffRel.LinkPl, 9, B, proto);
            b0 = IpFrag();
            And(tmp, b0);
        }
        var b1 = ByDirection(dir, d => atom(d == Q.Src ? 0u : 2u, ipv6));
        And(b0, b1);
        return b1;
    }

    private Block PortFamily(int ipProto, int dir, bool ipv6, PortAtom atom)
    {
        var b0 = LinkTypeTest(ipv6 ? EtherTypeIpv6 : EtherTypeIp);
        Block b1;
        if (ipProto == ProtoUndef)
        {
            var tmp = PortOp(IpProtoTcp, dir, ipv6, atom);
            b1 = PortOp(IpProtoUdp, dir, ipv6, atom);
            Or(tmp, b1);
            tmp = PortOp(IpProtoSctp, dir, ipv6, atom);
            Or(tmp, b1);
        }
        else
        {
            b1 = PortOp((uint)ipProto, dir, ipv6, atom);
        }
        And(b0, b1);
        return b1;
    }

    public Block Port(uint port, int ipProto, int dir)
    {
        Block Atom(uint off, bool ipv6) => Cmp(ipv6 ? OffRel.TranIpv6 : OffRel.TranIpv4, off, H, port);
        var b = PortFamily(ipProto, dir, false, Atom);
        Or(PortFamily(ipProto, dir, true, Atom), b);
        return b;
    }

    public Block PortRange(uint port1, uint port2, int ipProto, int dir)
    {
        if (port1 > port2)
            (port1, port2) = (port2, port1);
        Block Atom(uint off, bool ipv6)
        {
            var rel = ipv6 ? OffRel.TranIpv6 : OffRel.TranIpv4;
            var b1 = CmpGe(rel, off, H, port1);
            var b2 = CmpLe(rel, off, H, port2);
            And(b1, b2);
            return b2;
        }
        var b = PortFamily(ipProto, dir, false, Atom);
        Or(PortFamily(ipProto, dir, true, Atom), b);
        return b;
    }

    // ---- lengths, bytes, broadcast, multicast ----

    private static Block Len(int jmp, uint n) => new(Jmp | jmp | K, n) { Stmts = new Stmt(Ld | W | Cbpf.Cbpf.Len) };

    public static Block Greater(uint n) => Len(Jge, n);

    public static Block Less(uint n)
    {
        var b = Len(Jgt, n);
        Not(b);
        return b;
    }

    public Block ByteOp(char op, uint idx, uint val)
    {
        switch (op)
        {
            case '=': return Cmp(OffRel.LinkHdr, idx, B, val);
            case '<': return CmpLt(OffRel.LinkHdr, idx, B, val);
            case '>': return CmpGt(OffRel.LinkHdr, idx, B, val);
        }
        var s = new Stmt(Alu | (op == '|' ? Cbpf.Cbpf.Or : Cbpf.Cbpf.And) | K, val);
        var b = new Block(Jmp | Jeq | K) { Stmts = s };
        Not(b);
        return b;
    }

    private static readonly byte[] EtherBroadcast = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

    public Block Broadcast(int proto)
    {
        switch (proto)
        {
            case Q.Default:
            case Q.Link:
                if (!IsEthernet)
                    throw new PcapFilterException("not a broadcast link");
                return Bcmp(OffRel.LinkHdr, 0, EtherBroadcast);
            case Q.Ip:
            {
                // tcpdump reading a file or printing code compiles with netmask 0: every host bit set or clear
                const uint hostMask = 0xffffffff;
                var b0 = LinkTypeTest(EtherTypeIp);
                var b1 = Mcmp(OffRel.LinkPl, 16, W, 0, hostMask);
                var b2 = Mcmp(OffRel.LinkPl, 16, W, hostMask, hostMask);
                Or(b1, b2);
                And(b0, b2);
                return b2;
            }
            default:
                throw new PcapFilterException("only link-layer/IP broadcast filters supported");
        }
    }

    public Block Multicast(int proto)
    {
        switch (proto)
        {
            case Q.Default:
            case Q.Link:
                if (!IsEthernet)
                    break;
                return new Block(Jmp | Jset | K, 1) { Stmts = LoadA(OffRel.LinkHdr, 0, B) };
            case Q.Ip:
            {
                var b0 = LinkTypeTest(EtherTypeIp);
                var b1 = CmpGe(OffRel.LinkPl, 16, B, 224);
                And(b0, b1);
                return b1;
            }
            case Q.Ipv6:
            {
                var b0 = LinkTypeTest(EtherTypeIpv6);
                var b1 = Cmp(OffRel.LinkPl, 24, B, 255);
                And(b0, b1);
                return b1;
            }
        }
        throw new PcapFilterException("link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel");
    }

    // ---- VLAN, MPLS, PPPoE: each shifts the offsets of what follows ----

    public Block Vlan(uint? vlan)
    {
        if (LabelStackDepth > 0)
            throw new PcapFilterException("no VLAN match after MPLS");
        if (!IsEthernet)
            throw new PcapFilterException($"no VLAN support for {LinkTypeName}");
        var b0 = LinkTypeTest(EtherType8021Q);
        var b1 = LinkTypeTest(EtherType8021AD);
        Or(b0, b1);
        b0 = b1;
        b1 = LinkTypeTest(EtherType8021QinQ);
        Or(b0, b1);
        b0 = b1;
        if (vlan is { } number)
        {
            if (number > 0x0fff)
                throw new PcapFilterException($"VLAN tag {number} greater than maximum 4095");
            var vid = Mcmp(OffRel.LinkPl, 0, H, number, 0x0fff);
            And(b0, vid);
            b0 = vid;
        }
        OffLinkPl += 4;
        OffLinkType += 4;
        VlanStackDepth++;
        return b0;
    }

    public Block Mpls(uint? label)
    {
        Block b0;
        if (LabelStackDepth > 0)
            b0 = Mcmp(OffRel.PrevMplsHdr, 2, B, 0, 0x01);
        else if (IsEthernet)
            b0 = LinkTypeTest(EtherTypeMpls);
        else
            throw new PcapFilterException($"no MPLS support for {LinkTypeName}");
        if (label is { } number)
        {
            if (number > 0xfffff)
                throw new PcapFilterException($"MPLS label {number} greater than maximum 1048575");
            var b1 = Mcmp(OffRel.LinkPl, 0, W, number << 12, 0xfffff000);
            And(b0, b1);
            b0 = b1;
        }
        OffNlNoSnap += 4;
        OffNl += 4;
        LabelStackDepth++;
        return b0;
    }

    public Block PppoeDiscovery() => LinkTypeTest(EtherTypePppoeD);

    /// <summary>pppoes switches the rest of the expression to PPP framing, which this compiler does not generate.</summary>
    public static Block PppoeSession() => throw new PcapFilterException("pppoes is not supported by this compiler");

    private string LinkTypeName => LinkType switch
    {
        Packets.LinkTypes.Raw => "Raw IP",
        Packets.LinkTypes.LinuxSll => "Linux cooked v1",
        _ => "Ethernet",
    };
}
