using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SharpBpf.PcapFilter;

/// <summary>
/// Walks the parsed expression in yacc's reduction order, calling the code generator; an address without
/// qualifiers takes the ones in force before it (<c>host a or b</c>), as the grammar's <c>$&lt;blk&gt;0</c> does.
/// </summary>
internal sealed class Compiler
{
    private readonly CodeGen _gen;

    public Compiler(CodeGen gen) => _gen = gen;

    public (Block Block, Qual Q) Term(Node node, Qual inherited)
    {
        switch (node)
        {
            case AndNode and:
            {
                var left = Term(and.Left, inherited);
                var right = Term(and.Right, left.Q);
                CodeGen.And(left.Block, right.Block);
                return right;
            }
            case OrNode or:
            {
                var left = Term(or.Left, inherited);
                var right = Term(or.Right, left.Q);
                CodeGen.Or(left.Block, right.Block);
                return right;
            }
            case NotNode not:
            {
                var inner = Term(not.Operand, inherited);
                CodeGen.Not(inner.Block);
                return inner;
            }
            case QualifiedNode qualified:
            {
                var q = new Qual(qualified.Proto, qualified.Dir, qualified.Addr);
                return Term(qualified.Id, q);
            }
            case ParenNode paren:
                return (Term(paren.Expr, inherited).Block, inherited);
            case ProtoAbbrevNode abbrev:
                return (_gen.ProtoAbbrev(abbrev.Proto), Qual.Error);
            case RelationNode relation:
            {
                var a0 = Arith(relation.Left);
                var a1 = Arith(relation.Right);
                return (_gen.Relation(relation.JumpOp, a0, a1, relation.Reversed), Qual.Error);
            }
            case OtherNode other:
                return (Other(other), Qual.Error);
            default:
                return (Id(node, inherited), inherited);
        }
    }

    private Block Other(OtherNode other) => other.Kind switch
    {
        Tok.Broadcast => _gen.Broadcast(other.Proto),
        Tok.Multicast => _gen.Multicast(other.Proto),
        Tok.Less => CodeGen.Less(other.Value!.Value),
        Tok.Greater => CodeGen.Greater(other.Value!.Value),
        Tok.Byte => _gen.ByteOp(other.ByteOp, other.Value!.Value, other.Value2),
        Tok.Vlan => _gen.Vlan(other.Value),
        Tok.Mpls => _gen.Mpls(other.Value),
        Tok.Pppoed => _gen.PppoeDiscovery(),
        Tok.Pppoes => CodeGen.PppoeSession(),
        Tok.Inbound or Tok.Outbound => throw new PcapFilterException("inbound/outbound not supported on Ethernet when reading savefiles"),
        Tok.Ifindex => throw new PcapFilterException("ifindex not supported on Ethernet when reading savefiles"),
        Tok.Geneve => throw new PcapFilterException("geneve is not supported by this compiler"),
        _ => throw new PcapFilterSyntaxException("can't parse filter expression: syntax error"),
    };

    private ArthValue Arith(Arth arth)
    {
        switch (arth)
        {
            case ArthNum num:
                return _gen.LoadImmediate(num.Value);
            case ArthLen:
                return _gen.LoadLength();
            case ArthLoad load:
            {
                var index = Arith(load.Index);
                return _gen.Load(load.Proto, index, load.Size);
            }
            case ArthBinary binary:
            {
                var a0 = Arith(binary.Left);
                var a1 = Arith(binary.Right);
                return _gen.Arithmetic(binary.AluOp, a0, a1);
            }
            case ArthNeg neg:
                return _gen.Negate(Arith(neg.Operand));
            default:
                throw new ArgumentOutOfRangeException(nameof(arth));
        }
    }

    /// <summary>An address under qualifier <paramref name="q"/> (gen_scode, gen_ncode, gen_mcode, gen_ecode).</summary>
    private Block Id(Node node, Qual q)
    {
        switch (node)
        {
            case NameId name:
                return Name(name.Name, q);
            case NumId num:
                return Number(null, num.Value, q);
            case HostId host:
                if (q.Addr is Q.Port or Q.Portrange or Q.Proto or Q.Protochain)
                    throw new PcapFilterException($"'{AddrName(q.Addr)}' modifier applied to ip host");
                return Number(host.Address, 0, q);
            case HostMaskLenId masked:
                return Masked(masked.Address, null, masked.MaskLength, q);
            case HostNetmaskId netmask:
                return Masked(netmask.Address, netmask.Mask, 0, q);
            case Host6Id host6:
                return Host6(host6, q);
            case EtherId ether:
                if (q.Addr is Q.Host or Q.Default && q.Proto == Q.Link)
                    return _gen.EtherHost(ParseEther(ether.Address), q.Dir);
                throw new PcapFilterException("ethernet address used in non-ether expression");
            case ArcnetId:
                throw new PcapFilterException("ARCnet addresses are not supported by this compiler");
            default:
                throw new PcapFilterSyntaxException("can't parse filter expression: syntax error");
        }
    }

    private static string AddrName(int addr) => addr switch
    {
        Q.Port => "port", Q.Portrange => "portrange", Q.Proto => "proto", _ => "protochain",
    };

    private static PcapFilterException Syntax() => new("syntax error in filter expression");

    /// <summary>__pcap_atoin: a dotted quad or a prefix of one; the length in bits.</summary>
    private static int AtoIn(string s, out uint value)
    {
        value = 0;
        var len = 0;
        foreach (var part in s.Split('.'))
        {
            if (!uint.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 255)
                return -1;
            value = value << 8 | n;
            len += 8;
        }
        return len > 32 ? -1 : len;
    }

    private Block Number(string? s, uint v, Qual q)
    {
        int vlen;
        if (s is null)
        {
            vlen = 32;
        }
        else
        {
            vlen = AtoIn(s, out v);
            if (vlen < 0)
                throw new PcapFilterException($"invalid IPv4 address '{s}'");
        }
        switch (q.Addr)
        {
            case Q.Default or Q.Host or Q.Net:
            {
                if (q.Proto == Q.Link)
                    throw new PcapFilterException("illegal link layer address");
                if (q.Proto == Q.Decnet)
                    throw new PcapFilterException("DECnet addresses are not supported by this compiler");
                var mask = 0xffffffffu;
                if (s is null && q.Addr == Q.Net)
                {
                    while (v != 0 && (v & 0xff000000) == 0)
                    {
                        v <<= 8;
                        mask <<= 8;
                    }
                }
                else
                {
                    v = vlen == 0 ? 0 : v << (32 - vlen);
                    mask = vlen == 0 ? 0 : mask << (32 - vlen);
                }
                return _gen.Host(v, mask, q.Proto, q.Dir, q.Addr);
            }
            case Q.Port or Q.Portrange:
            {
                var proto = PortProto(q.Proto, q.Addr == Q.Port ? "port" : "portrange");
                if (v > 65535)
                    throw new PcapFilterException($"illegal port number {v} > 65535");
                return q.Addr == Q.Port ? _gen.Port(v, proto, q.Dir) : _gen.PortRange(v, v, proto, q.Dir);
            }
            case Q.Gateway:
                throw new PcapFilterException("'gateway' requires a name");
            case Q.Proto:
                return _gen.Proto(v, q.Proto, q.Dir);
            case Q.Protochain:
                throw new PcapFilterException("protochain is not supported by this compiler");
            default:
                throw Syntax();
        }
    }

    private static int PortProto(int proto, string what) => proto switch
    {
        Q.Udp => (int)CodeGen.IpProtoUdp,
        Q.Tcp => (int)CodeGen.IpProtoTcp,
        Q.Sctp => (int)CodeGen.IpProtoSctp,
        Q.Default => CodeGen.ProtoUndef,
        _ => throw new PcapFilterException($"illegal qualifier of '{what}'"),
    };

    private Block Masked(string address, string? maskText, uint maskLength, Qual q)
    {
        var nlen = AtoIn(address, out var n);
        if (nlen < 0)
            throw new PcapFilterException($"invalid IPv4 address '{address}'");
        n = nlen == 0 ? 0 : n << (32 - nlen);
        uint m;
        if (maskText is not null)
        {
            var mlen = AtoIn(maskText, out m);
            if (mlen < 0)
                throw new PcapFilterException($"invalid IPv4 address '{maskText}'");
            m = mlen == 0 ? 0 : m << (32 - mlen);
            if ((n & ~m) != 0)
                throw new PcapFilterException($"non-network bits set in \"{address} mask {maskText}\"");
        }
        else
        {
            if (maskLength > 32)
                throw new PcapFilterException("mask length must be <= 32");
            m = maskLength == 0 ? 0 : 0xffffffffu << (int)(32 - maskLength);
            if ((n & ~m) != 0)
                throw new PcapFilterException($"non-network bits set in \"{address}/{maskLength}\"");
        }
        if (q.Addr != Q.Net)
            throw new PcapFilterException("Mask syntax for networks only");
        return _gen.Host(n, m, q.Proto, q.Dir, q.Addr);
    }

    private Block Host6(Host6Id host, Qual q)
    {
        if (q.Addr is Q.Port or Q.Portrange or Q.Proto or Q.Protochain && !host.HasMask)
            throw new PcapFilterException($"'{AddrName(q.Addr)}' modifier applied to ip6 host");
        var addr = IPAddress.Parse(host.Address).GetAddressBytes();
        if (host.MaskLength > 128)
            throw new PcapFilterException("mask length must be <= 128");
        var mask = new byte[16];
        for (var i = 0; i < host.MaskLength / 8; i++)
            mask[i] = 0xff;
        if (host.MaskLength % 8 != 0)
            mask[host.MaskLength / 8] = (byte)(0xff << (int)(8 - host.MaskLength % 8));
        for (var i = 0; i < 16; i++)
            if ((addr[i] & ~mask[i]) != 0)
                throw new PcapFilterException($"non-network bits set in \"{host.Address}/{host.MaskLength}\"");
        switch (q.Addr)
        {
            case Q.Default or Q.Host when host.MaskLength != 128:
                throw new PcapFilterException("Mask syntax for networks only");
            case Q.Default or Q.Host or Q.Net:
                return _gen.Host6(addr, mask, q.Proto, q.Dir, q.Addr);
            default:
                throw new PcapFilterException("invalid qualifier against IPv6 address");
        }
    }

    private static byte[] ParseEther(string text)
    {
        var hex = new string(text.Where(Uri.IsHexDigit).ToArray());
        if (text.Split(':', '.', '-') is { Length: 6 } parts)
            return parts.Select(p => byte.Parse(p, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
        return Convert.FromHexString(hex);
    }

    private Block Name(string name, Qual q)
    {
        switch (q.Addr)
        {
            case Q.Net:
                throw new PcapFilterException($"unknown network '{name}'");
            case Q.Default or Q.Host:
            {
                if (q.Proto == Q.Link)
                    throw new PcapFilterException($"unknown ether host '{name}'");
                var addresses = Names.Host(name);
                if (addresses.Count == 0)
                    throw new PcapFilterException($"unknown host '{name}'");
                var tproto = q.Proto;
                var tproto6 = q.Proto;
                if (_gen.OffLinkType == CodeGen.NotSet && tproto == Q.Default)
                {
                    tproto = Q.Ip;
                    tproto6 = Q.Ipv6;
                }
                Block? b = null;
                var all = new byte[16];
                Array.Fill(all, (byte)0xff);
                foreach (var address in addresses)
                {
                    Block tmp;
                    if (address.AddressFamily == AddressFamily.InterNetwork)
                    {
                        if (tproto == Q.Ipv6)
                            continue;
                        var bytes = address.GetAddressBytes();
                        tmp = _gen.Host((uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]), 0xffffffff, tproto, q.Dir, q.Addr);
                    }
                    else
                    {
                        if (tproto6 == Q.Ip)
                            continue;
                        tmp = _gen.Host6(address.GetAddressBytes(), all, tproto6, q.Dir, q.Addr);
                    }
                    if (b is not null)
                        CodeGen.Or(b, tmp);
                    b = tmp;
                }
                return b ?? throw new PcapFilterException($"unknown host '{name}'{(q.Proto == Q.Default ? "" : " for specified address family")}");
            }
            case Q.Port:
            {
                if (q.Proto is not (Q.Default or Q.Udp or Q.Tcp or Q.Sctp))
                    throw new PcapFilterException("illegal qualifier of 'port'");
                if (!Names.TryPort(name, out var port, out var realProto))
                    throw new PcapFilterException($"unknown port '{name}'");
                realProto = NarrowPortProto(q.Proto, realProto, $"port '{name}'");
                if (port > 65535)
                    throw new PcapFilterException($"illegal port number {port} > 65535");
                return _gen.Port((uint)port, realProto, q.Dir);
            }
            case Q.Portrange:
            {
                if (q.Proto is not (Q.Default or Q.Udp or Q.Tcp or Q.Sctp))
                    throw new PcapFilterException("illegal qualifier of 'portrange'");
                if (!Names.TryPortRange(name, out var port1, out var port2, out var realProto))
                    throw new PcapFilterException($"unknown port in range '{name}'");
                realProto = NarrowPortProto(q.Proto, realProto, $"port in range '{name}'");
                foreach (var port in new[] { port1, port2 })
                    if (port > 65535)
                        throw new PcapFilterException($"illegal port number {port} > 65535");
                return _gen.PortRange((uint)port1, (uint)port2, realProto, q.Dir);
            }
            case Q.Gateway:
                throw new PcapFilterException("'gateway' not supported in this configuration");
            case Q.Proto:
                return _gen.Proto(LookupProto(name, q.Proto), q.Proto, q.Dir);
            case Q.Protochain:
                LookupProto(name, q.Proto);
                throw new PcapFilterException("protochain is not supported by this compiler");
            default:
                throw Syntax();
        }
    }

    private static int NarrowPortProto(int proto, int realProto, string what)
    {
        string? Clash(int wanted) => realProto == wanted || realProto == CodeGen.ProtoUndef ? null
            : realProto == CodeGen.IpProtoTcp ? "tcp" : realProto == CodeGen.IpProtoUdp ? "udp" : "sctp";
        var wanted = proto switch
        {
            Q.Udp => (int)CodeGen.IpProtoUdp,
            Q.Tcp => (int)CodeGen.IpProtoTcp,
            Q.Sctp => (int)CodeGen.IpProtoSctp,
            _ => realProto,
        };
        if (Clash(wanted) is { } other)
            throw new PcapFilterException($"{what} is {other}");
        return wanted;
    }

    private static uint LookupProto(string name, int proto)
    {
        switch (proto)
        {
            case Q.Default or Q.Ip or Q.Ipv6:
                return (uint)(Names.IpProtocol(name) ?? throw new PcapFilterException($"unknown ip proto '{name}'"));
            case Q.Link:
                return Names.EtherProtocol(name) ?? throw new PcapFilterException($"unknown ether proto '{name}'");
            default:
                throw new PcapFilterException($"unknown protocol: {name}");
        }
    }
}
