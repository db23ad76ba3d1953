using SharpBpf.Cbpf;

namespace SharpBpf.PcapFilter;

/// <summary>
/// Lays the flow graph out as instructions as libpcap's <c>icode_to_fcode</c> does: blocks are emitted from the
/// end backwards after their false then true successors, and a branch whose target is 256 or more
/// instructions away gets an extra <c>ja</c>.
/// </summary>
internal sealed class Linearizer
{
    private int _mark;
    private CbpfInstruction[] _out = [];
    private int _tail;

    public static CbpfInstruction[] Linearize(Block root)
    {
        var linearizer = new Linearizer();
        while (true)
        {
            linearizer._mark = Block.NewMark();
            var count = linearizer.Count(root);
            linearizer._out = new CbpfInstruction[count];
            linearizer._tail = count;
            linearizer._mark = Block.NewMark();
            if (linearizer.Convert(root))
                return linearizer._out;
        }
    }

    private static int Length(Stmt? s)
    {
        var n = 0;
        for (; s is not null; s = s.Next)
            if (s.Code != Stmt.Nop)
                n++;
        return n;
    }

    private int Count(Block? p)
    {
        if (p is null || p.Mark == _mark)
            return 0;
        p.Mark = _mark;
        return Count(p.Jt) + Count(p.Jf) + Length(p.Stmts) + 1 + p.LongJt + p.LongJf;
    }

    private bool Convert(Block? p)
    {
        if (p is null || p.Mark == _mark)
            return true;
        p.Mark = _mark;
        if (!Convert(p.Jf) || !Convert(p.Jt))
            return false;
        var slen = Length(p.Stmts);
        _tail -= slen + 1 + p.LongJt + p.LongJf;
        var dst = _tail;
        p.Offset = dst;
        for (var s = p.Stmts; s is not null; s = s.Next)
            if (s.Code != Stmt.Nop)
                _out[dst++] = new CbpfInstruction((ushort)s.Code, 0, 0, s.K);
        if (p.Jt is null)
        {
            _out[dst] = new CbpfInstruction((ushort)p.Code, 0, 0, p.K);
            return true;
        }
        byte jt, jf;
        var extra = 0;
        var off = p.Jt.Offset - (p.Offset + slen) - 1;
        if (off >= 256)
        {
            if (p.LongJt == 0)
            {
                p.LongJt++;
                return false;
            }
            jt = (byte)extra;
            extra++;
            _out[dst + extra] = new CbpfInstruction(Cbpf.Cbpf.Jmp | Cbpf.Cbpf.Ja, 0, 0, (uint)(off - extra));
        }
        else
        {
            jt = (byte)off;
        }
        off = p.Jf!.Offset - (p.Offset + slen) - 1;
        if (off >= 256)
        {
            if (p.LongJf == 0)
            {
                p.LongJf++;
                return false;
            }
            jf = (byte)extra;
            extra++;
            _out[dst + extra] = new CbpfInstruction(Cbpf.Cbpf.Jmp | Cbpf.Cbpf.Ja, 0, 0, (uint)(off - extra));
        }
        else
        {
            jf = (byte)off;
        }
        _out[dst] = new CbpfInstruction((ushort)p.Code, jt, jf, p.K);
        return true;
    }
}
