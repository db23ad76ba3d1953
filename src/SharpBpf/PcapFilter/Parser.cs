namespace SharpBpf.PcapFilter;

/// <summary>
/// A recursive-descent parser for libpcap's grammar (grammar.y). Where yacc's LALR(1) tables choose between
/// a term and an address after <c>and</c>/<c>or</c>, or between <c>( expr )</c> and arithmetic, this tries the
/// term first and backtracks.
/// </summary>
internal sealed class Parser
{
    private readonly List<Token> _tokens;
    private int _pos;

    private Parser(List<Token> tokens) => _tokens = tokens;

    /// <summary>Null for the empty expression (accept everything).</summary>
    public static Node? Parse(string expression)
    {
        var parser = new Parser(Lexer.Scan(expression));
        if (parser.Peek.Kind == Tok.End)
            return null;
        var node = parser.Expr();
        parser.Expect(Tok.End);
        return node;
    }

    private Token Peek => _tokens[_pos];
    private Token PeekAt(int ahead) => _tokens[Math.Min(_pos + ahead, _tokens.Count - 1)];

    private Token Take()
    {
        var token = _tokens[_pos];
        if (token.Kind == Tok.Error)
            throw LexError(token);
        if (token.Kind == Tok.Unsupported)
            throw new PcapFilterException($"'{token.Text}' filters are not supported by this compiler (ATM, MTP, 802.11, pf and LLC link types)");
        if (_pos < _tokens.Count - 1)
            _pos++;
        return token;
    }

    private static PcapFilterException LexError(Token token) => token.Value switch
    {
        1 => new PcapFilterException($"bogus IPv6 address {token.Text}"),
        2 => new PcapFilterException($"bogus ethernet address {token.Text}"),
        3 => new PcapFilterException(token.Text),
        _ => SyntaxError(),
    };

    private static PcapFilterSyntaxException SyntaxError() => new("can't parse filter expression: syntax error");

    private Token Expect(Tok kind)
    {
        if (Peek.Kind != kind)
        {
            if (Peek.Kind is Tok.Error or Tok.Unsupported)
                Take();
            throw SyntaxError();
        }
        return Take();
    }

    private bool Accept(Tok kind)
    {
        if (Peek.Kind != kind)
            return false;
        Take();
        return true;
    }

    private T? Try<T>(Func<T> parse) where T : class
    {
        var start = _pos;
        try
        {
            return parse();
        }
        catch (PcapFilterSyntaxException)
        {
            _pos = start;
            return null;
        }
    }

    private Node Expr()
    {
        var left = Term();
        while (Peek.Kind is Tok.And or Tok.Or)
        {
            var isAnd = Take().Kind == Tok.And;
            var right = Try(Term) ?? Id();
            left = isAnd ? new AndNode(left, right) : new OrNode(left, right);
        }
        return left;
    }

    private Node Term()
    {
        if (Accept(Tok.Not))
            return new NotNode(Term());
        return RTerm();
    }

    private Node RTerm()
    {
        var kind = Peek.Kind;
        if (ProtoOf(kind) is { } proto)
        {
            var next = PeekAt(1).Kind;
            if (next == Tok.LBracket)
                return Relation();
            if (IsHeadStart(next))
            {
                Take();
                return Head(proto);
            }
            if (next is Tok.Broadcast or Tok.Multicast)
            {
                Take();
                return new OtherNode(Take().Kind, proto);
            }
            Take();
            return new ProtoAbbrevNode(proto);
        }
        if (IsHeadStart(kind))
            return Head(Q.Default);
        switch (kind)
        {
            case Tok.Broadcast:
            case Tok.Multicast:
                return new OtherNode(Take().Kind);
            case Tok.Less:
            case Tok.Greater:
            case Tok.Ifindex:
                Take();
                return new OtherNode(kind, Value: Expect(Tok.Num).Value);
            case Tok.Byte:
            {
                Take();
                var index = Expect(Tok.Num).Value;
                var op = Take().Kind switch
                {
                    Tok.Amp => '&', Tok.Pipe => '|', Tok.Lt => '<', Tok.Gt => '>', Tok.Eq => '=',
                    _ => throw SyntaxError(),
                };
                return new OtherNode(kind, Value: index, Value2: Expect(Tok.Num).Value, ByteOp: op);
            }
            case Tok.Vlan:
            case Tok.Mpls:
            case Tok.Pppoes:
            case Tok.Geneve:
            {
                Take();
                var number = Try(() => (object)Pnum()) as uint?;
                return new OtherNode(kind, Value: number);
            }
            case Tok.Pppoed:
            case Tok.Inbound:
            case Tok.Outbound:
                return new OtherNode(Take().Kind);
            case Tok.LParen:
                return Try(() =>
                {
                    Take();
                    var inner = Expr();
                    Expect(Tok.RParen);
                    return (Node)new ParenNode(inner);
                }) ?? Relation();
            default:
                return Relation();
        }
    }

    private static bool IsHeadStart(Tok kind) =>
        kind is Tok.Src or Tok.Dst or Tok.Host or Tok.Net or Tok.Port or Tok.Portrange or Tok.Proto or Tok.Protochain or Tok.Gateway;

    private Node Head(int proto)
    {
        var dir = Q.Default;
        if (Peek.Kind is Tok.Src or Tok.Dst)
        {
            var first = Take().Kind;
            dir = first == Tok.Src ? Q.Src : Q.Dst;
            var other = first == Tok.Src ? Tok.Dst : Tok.Src;
            if (Peek.Kind is Tok.Or or Tok.And && PeekAt(1).Kind == other)
            {
                dir = Take().Kind == Tok.Or ? Q.Or : Q.And;
                Take();
            }
        }
        var addr = Q.Default;
        switch (Peek.Kind)
        {
            case Tok.Host: addr = Q.Host; Take(); break;
            case Tok.Net: addr = Q.Net; Take(); break;
            case Tok.Port: addr = Q.Port; Take(); break;
            case Tok.Portrange: addr = Q.Portrange; Take(); break;
            case Tok.Proto when dir == Q.Default: addr = Q.Proto; Take(); break;
            case Tok.Protochain when dir == Q.Default: addr = Q.Protochain; Take(); break;
            case Tok.Gateway when dir == Q.Default: addr = Q.Gateway; Take(); break;
        }
        return new QualifiedNode(proto, dir, addr, Id());
    }

    private Node Id()
    {
        switch (Peek.Kind)
        {
            case Tok.Not:
                Take();
                return new NotNode(Id());
            case Tok.Num:
                return new NumId(Take().Value);
            case Tok.LParen:
                return Try(() => (Node)new NumId(Pnum())) ?? ParenPid();
            case Tok.Id:
                return new NameId(Take().Text);
            case Tok.Eid:
                return new EtherId(Take().Text);
            case Tok.Aid:
                return new ArcnetId(Take().Text);
            case Tok.Hid:
            {
                var address = Take().Text;
                if (Accept(Tok.Slash))
                    return new HostMaskLenId(address, Expect(Tok.Num).Value);
                if (Accept(Tok.Netmask))
                    return new HostNetmaskId(address, Expect(Tok.Hid).Text);
                return new HostId(address);
            }
            case Tok.Hid6:
            {
                var address = Take().Text;
                if (Accept(Tok.Slash))
                    return new Host6Id(address, Expect(Tok.Num).Value, true);
                return new Host6Id(address, 128, false);
            }
            default:
                Take();
                throw SyntaxError();
        }
    }

    private Node ParenPid()
    {
        Expect(Tok.LParen);
        var left = Id();
        while (Peek.Kind is Tok.And or Tok.Or)
        {
            var isAnd = Take().Kind == Tok.And;
            var right = Id();
            left = isAnd ? new AndNode(left, right) : new OrNode(left, right);
        }
        Expect(Tok.RParen);
        return left;
    }

    private uint Pnum()
    {
        if (Accept(Tok.LParen))
        {
            var value = Pnum();
            Expect(Tok.RParen);
            return value;
        }
        return Expect(Tok.Num).Value;
    }

    private Node Relation()
    {
        var left = Arith(0);
        var (op, reversed) = Take().Kind switch
        {
            Tok.Gt => (Cbpf.Cbpf.Jgt, false),
            Tok.Geq => (Cbpf.Cbpf.Jge, false),
            Tok.Eq => (Cbpf.Cbpf.Jeq, false),
            Tok.Leq => (Cbpf.Cbpf.Jgt, true),
            Tok.Lt => (Cbpf.Cbpf.Jge, true),
            Tok.Neq => (Cbpf.Cbpf.Jeq, true),
            _ => throw SyntaxError(),
        };
        return new RelationNode(op, reversed, left, Arith(0));
    }

    private static int Precedence(Tok kind) => kind switch
    {
        Tok.Pipe => 1,
        Tok.Amp => 2,
        Tok.Lsh or Tok.Rsh => 3,
        Tok.Plus or Tok.Minus => 4,
        Tok.Star or Tok.Slash => 5,
        _ => 0,
    };

    private static int AluOf(Tok kind) => kind switch
    {
        Tok.Pipe => Cbpf.Cbpf.Or, Tok.Amp => Cbpf.Cbpf.And, Tok.Lsh => Cbpf.Cbpf.Lsh, Tok.Rsh => Cbpf.Cbpf.Rsh,
        Tok.Plus => Cbpf.Cbpf.Add, Tok.Minus => Cbpf.Cbpf.Sub, Tok.Star => Cbpf.Cbpf.Mul, Tok.Slash => Cbpf.Cbpf.Div,
        Tok.Percent => Cbpf.Cbpf.Mod, Tok.Caret => Cbpf.Cbpf.Xor, _ => throw SyntaxError(),
    };

    /// <summary>Precedence climbing over the declared operators, left-associative.</summary>
    private Arth Arith(int minimum)
    {
        var left = Unary();
        while (Precedence(Peek.Kind) is var precedence && precedence > minimum)
        {
            var op = AluOf(Take().Kind);
            var right = Arith(precedence);
            left = new ArthBinary(op, left, right);
        }
        return left;
    }

    /// <summary>
    /// An operand. '%' and '^' have no declared precedence in grammar.y, so yacc always shifts them: they take
    /// the nearest operand on the left and the whole expression on the right.
    /// </summary>
    private Arth Unary()
    {
        var operand = Primary();
        while (Peek.Kind is Tok.Percent or Tok.Caret)
        {
            var op = AluOf(Take().Kind);
            operand = new ArthBinary(op, operand, Arith(0));
        }
        return operand;
    }

    private Arth Primary()
    {
        var token = Peek;
        if (ProtoOf(token.Kind) is { } proto)
        {
            Take();
            Expect(Tok.LBracket);
            var index = Arith(0);
            uint size = 1;
            if (Accept(Tok.Colon))
                size = Expect(Tok.Num).Value;
            Expect(Tok.RBracket);
            return new ArthLoad(proto, index, size);
        }
        switch (token.Kind)
        {
            case Tok.Num:
                Take();
                return new ArthNum(token.Value);
            case Tok.Len:
                Take();
                return new ArthLen();
            case Tok.Minus:
                Take();
                return new ArthNeg(Unary());
            case Tok.LParen:
            {
                Take();
                var inner = Arith(0);
                Expect(Tok.RParen);
                return inner;
            }
            default:
                Take();
                throw SyntaxError();
        }
    }

    /// <summary>The protocol a <c>pname</c> keyword names.</summary>
    private static int? ProtoOf(Tok kind) => kind switch
    {
        Tok.Link => Q.Link, Tok.Ip => Q.Ip, Tok.Arp => Q.Arp, Tok.Rarp => Q.Rarp, Tok.Sctp => Q.Sctp, Tok.Tcp => Q.Tcp,
        Tok.Udp => Q.Udp, Tok.Icmp => Q.Icmp, Tok.Igmp => Q.Igmp, Tok.Igrp => Q.Igrp, Tok.Pim => Q.Pim, Tok.Vrrp => Q.Vrrp,
        Tok.Carp => Q.Carp, Tok.Atalk => Q.Atalk, Tok.Aarp => Q.Aarp, Tok.Decnet => Q.Decnet, Tok.Lat => Q.Lat,
        Tok.Sca => Q.Sca, Tok.Mopdl => Q.Mopdl, Tok.Moprc => Q.Moprc, Tok.Ip6 => Q.Ipv6, Tok.Icmp6 => Q.Icmpv6,
        Tok.Ah => Q.Ah, Tok.Esp => Q.Esp, Tok.Iso => Q.Iso, Tok.Esis => Q.Esis, Tok.Isis => Q.Isis, Tok.L1 => Q.IsisL1,
        Tok.L2 => Q.IsisL2, Tok.Iih => Q.IsisIih, Tok.Lsp => Q.IsisLsp, Tok.Snp => Q.IsisSnp, Tok.Psnp => Q.IsisPsnp,
        Tok.Csnp => Q.IsisCsnp, Tok.Clnp => Q.Clnp, Tok.Stp => Q.Stp, Tok.Ipx => Q.Ipx, Tok.Netbeui => Q.Netbeui,
        Tok.Radio => Q.Radio,
        _ => null,
    };
}
