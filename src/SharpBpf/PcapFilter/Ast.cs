namespace SharpBpf.PcapFilter;

/// <summary>A qualifier triple (protocol, direction, address type) as the grammar's <c>struct qual</c>.</summary>
internal readonly record struct Qual(int Proto, int Dir, int Addr)
{
    public static readonly Qual Error = new(Q.Undef, Q.Undef, Q.Undef);
}

/// <summary>libpcap's qualifier numbers (gencode.h).</summary>
internal static class Q
{
    public const int Default = 0, Undef = 255;
    // address types
    public const int Host = 1, Net = 2, Port = 3, Gateway = 4, Proto = 5, Protochain = 6, Portrange = 7;
    // protocols
    public const int Link = 1, Ip = 2, Arp = 3, Rarp = 4, Sctp = 5, Tcp = 6, Udp = 7, Icmp = 8, Igmp = 9, Igrp = 10, Atalk = 11,
        Decnet = 12, Lat = 13, Sca = 14, Moprc = 15, Mopdl = 16, Ipv6 = 17, Icmpv6 = 18, Ah = 19, Esp = 20, Pim = 21, Vrrp = 22,
        Aarp = 23, Iso = 24, Esis = 25, Isis = 26, Clnp = 27, Stp = 28, Ipx = 29, Netbeui = 30, IsisL1 = 31, IsisL2 = 32,
        IsisIih = 33, IsisSnp = 34, IsisCsnp = 35, IsisPsnp = 36, IsisLsp = 37, Radio = 38, Carp = 39;
    // directions
    public const int Src = 1, Dst = 2, Or = 3, And = 4;
}

/// <summary>The parsed expression; <see cref="Compiler"/> walks it in the order yacc would reduce it.</summary>
internal abstract record Node;

internal sealed record AndNode(Node Left, Node Right) : Node;
internal sealed record OrNode(Node Left, Node Right) : Node;
internal sealed record NotNode(Node Operand) : Node;
/// <summary><c>head id</c>: qualifiers then an address.</summary>
internal sealed record QualifiedNode(int Proto, int Dir, int Addr, Node Id) : Node;
/// <summary><c>( expr )</c> as a term: keeps the qualifier from before the parenthesis.</summary>
internal sealed record ParenNode(Node Expr) : Node;
internal sealed record ProtoAbbrevNode(int Proto) : Node;
internal sealed record RelationNode(int JumpOp, bool Reversed, Arth Left, Arth Right) : Node;
internal sealed record OtherNode(Tok Kind, int Proto = Q.Default, uint? Value = null, uint Value2 = 0, char ByteOp = '\0') : Node;

// ids: the addresses that take the qualifier in force
internal sealed record NameId(string Name) : Node;
internal sealed record NumId(uint Value) : Node;
internal sealed record HostId(string Address) : Node;
internal sealed record HostMaskLenId(string Address, uint MaskLength) : Node;
internal sealed record HostNetmaskId(string Address, string Mask) : Node;
internal sealed record Host6Id(string Address, uint MaskLength, bool HasMask) : Node;
internal sealed record EtherId(string Address) : Node;
internal sealed record ArcnetId(string Address) : Node;

/// <summary>Arithmetic over packet data.</summary>
internal abstract record Arth;
internal sealed record ArthNum(uint Value) : Arth;
internal sealed record ArthLen : Arth;
internal sealed record ArthLoad(int Proto, Arth Index, uint Size) : Arth;
internal sealed record ArthBinary(int AluOp, Arth Left, Arth Right) : Arth;
internal sealed record ArthNeg(Arth Operand) : Arth;
