using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace SharpBpf.PcapFilter;

/// <summary>
/// Splits a filter expression as libpcap's flex scanner does: the longest match wins, and on a tie the
/// earlier rule (keywords, then numbers, addresses, names).
/// </summary>
internal static partial class Lexer
{
    private static readonly Dictionary<string, Tok> Keywords = new(StringComparer.Ordinal)
    {
        ["dst"] = Tok.Dst, ["src"] = Tok.Src,
        ["link"] = Tok.Link, ["ether"] = Tok.Link, ["ppp"] = Tok.Link, ["slip"] = Tok.Link, ["fddi"] = Tok.Link, ["tr"] = Tok.Link, ["wlan"] = Tok.Link,
        ["arp"] = Tok.Arp, ["rarp"] = Tok.Rarp, ["ip"] = Tok.Ip, ["sctp"] = Tok.Sctp, ["tcp"] = Tok.Tcp, ["udp"] = Tok.Udp,
        ["icmp"] = Tok.Icmp, ["igmp"] = Tok.Igmp, ["igrp"] = Tok.Igrp, ["pim"] = Tok.Pim, ["vrrp"] = Tok.Vrrp, ["carp"] = Tok.Carp,
        ["radio"] = Tok.Radio, ["ip6"] = Tok.Ip6, ["icmp6"] = Tok.Icmp6, ["ah"] = Tok.Ah, ["esp"] = Tok.Esp,
        ["atalk"] = Tok.Atalk, ["aarp"] = Tok.Aarp, ["decnet"] = Tok.Decnet, ["lat"] = Tok.Lat, ["sca"] = Tok.Sca,
        ["moprc"] = Tok.Moprc, ["mopdl"] = Tok.Mopdl, ["iso"] = Tok.Iso, ["esis"] = Tok.Esis, ["es-is"] = Tok.Esis,
        ["isis"] = Tok.Isis, ["is-is"] = Tok.Isis, ["l1"] = Tok.L1, ["l2"] = Tok.L2, ["iih"] = Tok.Iih, ["lsp"] = Tok.Lsp,
        ["snp"] = Tok.Snp, ["csnp"] = Tok.Csnp, ["psnp"] = Tok.Psnp, ["clnp"] = Tok.Clnp, ["stp"] = Tok.Stp, ["ipx"] = Tok.Ipx,
        ["netbeui"] = Tok.Netbeui,
        ["host"] = Tok.Host, ["net"] = Tok.Net, ["mask"] = Tok.Netmask, ["port"] = Tok.Port, ["portrange"] = Tok.Portrange,
        ["proto"] = Tok.Proto, ["protochain"] = Tok.Protochain, ["gateway"] = Tok.Gateway,
        ["less"] = Tok.Less, ["greater"] = Tok.Greater, ["byte"] = Tok.Byte,
        ["broadcast"] = Tok.Broadcast, ["multicast"] = Tok.Multicast,
        ["and"] = Tok.And, ["or"] = Tok.Or, ["not"] = Tok.Not, ["len"] = Tok.Len, ["length"] = Tok.Len,
        ["inbound"] = Tok.Inbound, ["outbound"] = Tok.Outbound, ["ifindex"] = Tok.Ifindex,
        ["vlan"] = Tok.Vlan, ["mpls"] = Tok.Mpls, ["pppoed"] = Tok.Pppoed, ["pppoes"] = Tok.Pppoes, ["geneve"] = Tok.Geneve,
    };

    /// <summary>Keywords of the grammar this compiler does not generate code for (ATM, MTP, 802.11, pf, LLC).</summary>
    private static readonly HashSet<string> UnsupportedKeywords = new(StringComparer.Ordinal)
    {
        "type", "subtype", "direction", "dir", "address1", "addr1", "address2", "addr2", "address3", "addr3", "address4", "addr4",
        "ra", "ta", "lane", "llc", "metac", "bcc", "oam", "oamf4", "oamf4ec", "oamf4sc", "sc", "ilmic", "vpi", "vci",
        "connectmsg", "metaconnect", "on", "ifname", "rset", "ruleset", "rnr", "rulenum", "srnr", "subrulenum", "reason", "action",
        "fisu", "lssu", "lsu", "msu", "hfisu", "hlssu", "hmsu", "sio", "opc", "dpc", "sls", "hsio", "hopc", "hdpc", "hsls",
    };

    /// <summary>Names that scan as numbers (offsets and values for packet-data expressions).</summary>
    private static readonly Dictionary<string, uint> NamedNumbers = new(StringComparer.Ordinal)
    {
        ["icmptype"] = 0, ["icmpcode"] = 1, ["icmp-echoreply"] = 0, ["icmp-unreach"] = 3, ["icmp-sourcequench"] = 4,
        ["icmp-redirect"] = 5, ["icmp-echo"] = 8, ["icmp-routeradvert"] = 9, ["icmp-routersolicit"] = 10, ["icmp-timxceed"] = 11,
        ["icmp-paramprob"] = 12, ["icmp-tstamp"] = 13, ["icmp-tstampreply"] = 14, ["icmp-ireq"] = 15, ["icmp-ireqreply"] = 16,
        ["icmp-maskreq"] = 17, ["icmp-maskreply"] = 18,
        ["icmp6type"] = 0, ["icmp6code"] = 1, ["icmp6-destinationunreach"] = 1, ["icmp6-packettoobig"] = 2,
        ["icmp6-timeexceeded"] = 3, ["icmp6-parameterproblem"] = 4, ["icmp6-echo"] = 128, ["icmp6-echoreply"] = 129,
        ["icmp6-multicastlistenerquery"] = 130, ["icmp6-multicastlistenerreportv1"] = 131, ["icmp6-multicastlistenerdone"] = 132,
        ["icmp6-routersolicit"] = 133, ["icmp6-routeradvert"] = 134, ["icmp6-neighborsolicit"] = 135, ["icmp6-neighboradvert"] = 136,
        ["icmp6-redirect"] = 137, ["icmp6-routerrenum"] = 138, ["icmp6-nodeinformationquery"] = 139,
        ["icmp6-nodeinformationresponse"] = 140, ["icmp6-ineighbordiscoverysolicit"] = 141, ["icmp6-ineighbordiscoveryadvert"] = 142,
        ["icmp6-multicastlistenerreportv2"] = 143, ["icmp6-homeagentdiscoveryrequest"] = 144, ["icmp6-homeagentdiscoveryreply"] = 145,
        ["icmp6-mobileprefixsolicit"] = 146, ["icmp6-mobileprefixadvert"] = 147, ["icmp6-certpathsolicit"] = 148,
        ["icmp6-certpathadvert"] = 149, ["icmp6-multicastrouteradvert"] = 151, ["icmp6-multicastroutersolicit"] = 152,
        ["icmp6-multicastrouterterm"] = 153,
        ["tcpflags"] = 13, ["tcp-fin"] = 0x01, ["tcp-syn"] = 0x02, ["tcp-rst"] = 0x04, ["tcp-push"] = 0x08, ["tcp-ack"] = 0x10,
        ["tcp-urg"] = 0x20, ["tcp-ece"] = 0x40, ["tcp-cwr"] = 0x80,
    };

    [GeneratedRegex(@"\G[A-Za-z0-9]([-_.A-Za-z0-9]*[.A-Za-z0-9])?")]
    private static partial Regex IdPattern();
    [GeneratedRegex(@"\G(0[xX][0-9A-Fa-f]+|[0-9]+)")]
    private static partial Regex NumPattern();
    [GeneratedRegex(@"\G[0-9]+(\.[0-9]+){1,3}")]
    private static partial Regex HidPattern();
    [GeneratedRegex(@"\G([0-9A-Fa-f]{1,2}([:.-])[0-9A-Fa-f]{1,2}(\2[0-9A-Fa-f]{1,2}){4}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}|[0-9A-Fa-f]{12})")]
    private static partial Regex MacPattern();
    [GeneratedRegex(@"\G[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(:[0-9]+(\.[0-9]+){3})?")]
    private static partial Regex V6Pattern();
    [GeneratedRegex(@"\G[0-9A-Fa-f]{1,2}:+([0-9A-Fa-f]{1,2}:+)+")]
    private static partial Regex BogusMacPattern();
    [GeneratedRegex(@"\G\$[0-9A-Fa-f]{1,2}")]
    private static partial Regex AidPattern();

    public static List<Token> Scan(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c is ' ' or '\t' or '\r' or '\n')
            {
                i++;
                continue;
            }
            var (token, length) = Next(text, i);
            tokens.Add(token);
            i += length;
        }
        tokens.Add(new Token(Tok.End, ""));
        return tokens;
    }

    private static (Token, int) Next(string text, int i)
    {
        var two = i + 1 < text.Length ? text.Substring(i, 2) : "";
        switch (two)
        {
            case ">=": return (new Token(Tok.Geq, two), 2);
            case "<=": return (new Token(Tok.Leq, two), 2);
            case "!=": return (new Token(Tok.Neq, two), 2);
            case "==": return (new Token(Tok.Eq, two), 2);
            case "<<": return (new Token(Tok.Lsh, two), 2);
            case ">>": return (new Token(Tok.Rsh, two), 2);
            case "&&": return (new Token(Tok.And, two), 2);
            case "||": return (new Token(Tok.Or, two), 2);
        }
        var c = text[i];
        var single = c switch
        {
            '+' => Tok.Plus, '-' => Tok.Minus, '*' => Tok.Star, '/' => Tok.Slash, '%' => Tok.Percent, ':' => Tok.Colon,
            '[' => Tok.LBracket, ']' => Tok.RBracket, '!' => Tok.Not, '<' => Tok.Lt, '>' => Tok.Gt, '(' => Tok.LParen,
            ')' => Tok.RParen, '&' => Tok.Amp, '|' => Tok.Pipe, '^' => Tok.Caret, '=' => Tok.Eq, _ => Tok.End,
        };
        // ':' alone is punctuation, but "::1" is an IPv6 address: let the longest match decide below.
        if (single != Tok.End && !(c == ':' && i + 1 < text.Length && text[i + 1] == ':'))
            return (new Token(single, c.ToString()), 1);
        if (c == '\\')
        {
            var end = i + 1;
            while (end < text.Length && text[end] is not (' ' or '!' or '(' or ')' or '\n' or '\t'))
                end++;
            return end == i + 1 ? (new Token(Tok.Error, "\\"), 1) : (new Token(Tok.Id, text[(i + 1)..end]), end - i);
        }
        if (AidPattern().Match(text, i) is { Success: true } aid)
            return (new Token(Tok.Aid, aid.Value[1..]), aid.Length);

        // Longest match; ties go to the earlier rule: keyword, MAC, number, IPv4, IPv6, bogus MAC, name.
        var id = Length(IdPattern(), text, i);
        var mac = Length(MacPattern(), text, i);
        var num = Length(NumPattern(), text, i);
        var hid = Length(HidPattern(), text, i);
        var v6 = V6Length(text, i);
        var bogus = Length(BogusMacPattern(), text, i);
        var best = Math.Max(Math.Max(Math.Max(id, mac), Math.Max(num, hid)), Math.Max(v6, bogus));
        if (best == 0)
            return (new Token(Tok.Error, c.ToString()), 1);
        var word = text.Substring(i, best);
        if (id == best && Keywords.TryGetValue(word, out var keyword))
            return (new Token(keyword, word), best);
        if (id == best && UnsupportedKeywords.Contains(word))
            return (new Token(Tok.Unsupported, word), best);
        if (mac == best)
            return (new Token(Tok.Eid, word), best);
        if (num == best)
            return (Number(word), best);
        if (hid == best)
            return (new Token(Tok.Hid, word), best);
        if (v6 == best && IsIpv6(word))
            return (new Token(Tok.Hid6, word), best);
        if (v6 == best && word.Contains("::", StringComparison.Ordinal) || v6 == best && word.Count(ch => ch == ':') >= 2 && bogus != best)
            return (new Token(Tok.Error, word, 1), best);
        if (bogus == best)
            return (new Token(Tok.Error, word, 2), best);
        if (id == best && NamedNumbers.TryGetValue(word, out var named))
            return (new Token(Tok.Num, word, named), best);
        return (new Token(Tok.Id, word), best);
    }

    private static int Length(Regex pattern, string text, int i) => pattern.Match(text, i) is { Success: true } m ? m.Length : 0;

    /// <summary>flex's V6 patterns: eight groups, or fewer with one "::", optionally ending in a dotted quad.</summary>
    private static int V6Length(string text, int i)
    {
        var length = Length(V6Pattern(), text, i);
        var word = text.Substring(i, length);
        var colons = word.Count(ch => ch == ':');
        return word.Contains("::", StringComparison.Ordinal) || colons == 7 || colons == 6 && word.Contains('.', StringComparison.Ordinal) ? length : 0;
    }

    private static bool IsIpv6(string word) => IPAddress.TryParse(word, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6;

    private static Token Number(string word)
    {
        ulong n = 0;
        if (word.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var d in word[2..])
            {
                n = (n << 4) + (ulong)int.Parse(d.ToString(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (n > uint.MaxValue)
                    return new Token(Tok.Error, $"number {word} overflows 32 bits", 3);
            }
        }
        else if (word.Length > 1 && word[0] == '0')
        {
            foreach (var d in word[1..])
            {
                if (d > '7')
                    return new Token(Tok.Error, $"number {word} contains non-octal digit", 3);
                n = (n << 3) + (ulong)(d - '0');
                if (n > uint.MaxValue)
                    return new Token(Tok.Error, $"number {word} overflows 32 bits", 3);
            }
        }
        else
        {
            foreach (var d in word)
            {
                n = n * 10 + (ulong)(d - '0');
                if (n > uint.MaxValue)
                    return new Token(Tok.Error, $"number {word} overflows 32 bits", 3);
            }
        }
        return new Token(Tok.Num, word, (uint)n);
    }
}
