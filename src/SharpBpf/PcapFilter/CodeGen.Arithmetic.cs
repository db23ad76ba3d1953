using static SharpBpf.Cbpf.Cbpf;

namespace SharpBpf.PcapFilter;

/// <summary>Packet-data expressions: loads relative to a protocol header, arithmetic in scratch registers, relations.</summary>
internal sealed partial class CodeGen
{
    private static Stmt ToX(ArthValue a) => new(Ldx | Mem, (uint)a.Reg);
    private static Stmt ToA(ArthValue a) => new(Ld | Mem, (uint)a.Reg);

    public ArthValue LoadImmediate(uint value)
    {
        var reg = AllocReg();
        var s = new Stmt(Ld | Imm, value) { Next = new Stmt(St, (uint)reg) };
        return new ArthValue { S = s, Reg = reg };
    }

    public ArthValue LoadLength()
    {
        var reg = AllocReg();
        var s = new Stmt(Ld | W | Cbpf.Cbpf.Len) { Next = new Stmt(St, (uint)reg) };
        return new ArthValue { S = s, Reg = reg };
    }

    public ArthValue Load(int proto, ArthValue inst, uint size)
    {
        var regno = AllocReg();
        FreeReg(inst.Reg);
        var sizeCode = size switch
        {
            1 => B,
            2 => H,
            4 => W,
            _ => throw new PcapFilterException("data size must be 1, 2, or 4"),
        };
        switch (proto)
        {
            case Q.Link:
                Stmt.Append(inst.S, Stmt.Append(ToX(inst), new Stmt(Ld | Ind | sizeCode, 0)));
                break;
            case Q.Ip or Q.Arp or Q.Rarp or Q.Atalk or Q.Decnet or Q.Sca or Q.Lat or Q.Moprc or Q.Mopdl or Q.Ipv6:
            {
                Stmt.Append(inst.S, Stmt.Append(ToX(inst), new Stmt(Ld | Ind | sizeCode, OffLinkPl + OffNl)));
                var b = ProtoAbbrev(proto);
                if (inst.B is not null)
                    And(inst.B, b);
                inst.B = b;
                break;
            }
            case Q.Sctp or Q.Tcp or Q.Udp or Q.Icmp or Q.Igmp or Q.Igrp or Q.Pim or Q.Vrrp or Q.Carp:
            {
                var s = LoadXIpHeaderLength();
                Stmt.Append(s, ToA(inst));
                Stmt.Append(s, new Stmt(Alu | Add | X));
                Stmt.Append(s, new Stmt(Misc | Tax));
                Stmt.Append(s, new Stmt(Ld | Ind | sizeCode, OffLinkPl + OffNl));
                Stmt.Append(inst.S, s);
                var b = IpFrag();
                And(ProtoAbbrev(proto), b);
                if (inst.B is not null)
                    And(inst.B, b);
                And(ProtoAbbrev(Q.Ip), b);
                inst.B = b;
                break;
            }
            case Q.Icmpv6:
            {
                var b = ProtoAbbrev(Q.Ipv6);
                if (inst.B is not null)
                    And(inst.B, b);
                inst.B = b;
                b = Cmp(OffRel.LinkPl, 6, B, 58);
                And(inst.B, b);
                inst.B = b;
                Stmt.Append(inst.S, Stmt.Append(ToX(inst), new Stmt(Ld | Ind | sizeCode, OffLinkPl + OffNl + 40)));
                break;
            }
            default:
                throw new PcapFilterException($"unsupported index operation");
        }
        inst.Reg = regno;
        Stmt.Append(inst.S, new Stmt(St, (uint)regno));
        return inst;
    }

    public Block Relation(int code, ArthValue a0, ArthValue a1, bool reversed)
    {
        var s0 = ToX(a1);
        var s1 = ToA(a0);
        Block b;
        if (code == Jeq)
        {
            b = new Block(Jmp | code | K);
            Stmt.Append(s1, new Stmt(Alu | Sub | X));
        }
        else
        {
            b = new Block(Jmp | code | X);
        }
        if (reversed)
            Not(b);
        Stmt.Append(s0, s1);
        Stmt.Append(a1.S, s0);
        Stmt.Append(a0.S, a1.S);
        b.Stmts = a0.S;
        FreeReg(a0.Reg);
        FreeReg(a1.Reg);
        Block? tmp;
        if (a0.B is not null)
        {
            if (a1.B is not null)
                And(a0.B, a1.B);
            tmp = a1.B ?? a0.B;
        }
        else
        {
            tmp = a1.B;
        }
        if (tmp is not null)
            And(tmp, b);
        return b;
    }

    public ArthValue Negate(ArthValue a)
    {
        Stmt.Append(a.S, ToA(a));
        Stmt.Append(a.S, new Stmt(Alu | Neg));
        Stmt.Append(a.S, new Stmt(St, (uint)a.Reg));
        return a;
    }

    public ArthValue Arithmetic(int code, ArthValue a0, ArthValue a1)
    {
        if (a1.S.Code == (Ld | Imm))
        {
            if (code == Div && a1.S.K == 0)
                throw new PcapFilterException("division by zero");
            if (code == Mod && a1.S.K == 0)
                throw new PcapFilterException("modulus by zero");
            if (code is Lsh or Rsh && a1.S.K > 31)
                throw new PcapFilterException("shift by more than 31 bits");
        }
        var s0 = ToX(a1);
        var s1 = ToA(a0);
        Stmt.Append(s1, new Stmt(Alu | X | code));
        Stmt.Append(s0, s1);
        Stmt.Append(a1.S, s0);
        Stmt.Append(a0.S, a1.S);
        FreeReg(a0.Reg);
        FreeReg(a1.Reg);
        a0.Reg = AllocReg();
        Stmt.Append(a0.S, new Stmt(St, (uint)a0.Reg));
        return a0;
    }
}
