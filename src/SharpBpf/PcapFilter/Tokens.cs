namespace SharpBpf.PcapFilter;

/// <summary>The tokens of libpcap's scanner (scanner.l): keywords, numbers, addresses, names and punctuation.</summary>
internal enum Tok
{
    End, Error,
    Num, Id, Hid, Hid6, Eid, Aid,
    Dst, Src, Host, Gateway, Net, Netmask, Port, Portrange, Less, Greater, Proto, Protochain, Byte,
    Link, Ip, Arp, Rarp, Sctp, Tcp, Udp, Icmp, Igmp, Igrp, Pim, Vrrp, Carp, Atalk, Aarp, Decnet, Lat, Sca, Moprc, Mopdl,
    Ip6, Icmp6, Ah, Esp, Iso, Esis, Isis, L1, L2, Iih, Lsp, Snp, Csnp, Psnp, Clnp, Stp, Ipx, Netbeui, Radio,
    Broadcast, Multicast, Inbound, Outbound, Ifindex, Vlan, Mpls, Pppoed, Pppoes, Geneve,
    And, Or, Not, Len,
    Geq, Leq, Neq, Lsh, Rsh,
    Plus, Minus, Star, Slash, Percent, Colon, LBracket, RBracket, Lt, Gt, LParen, RParen, Amp, Pipe, Caret, Eq,
    Unsupported,
}

internal readonly record struct Token(Tok Kind, string Text, uint Value = 0);
