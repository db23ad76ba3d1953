using System.Numerics;
using static SharpBpf.Cbpf.Cbpf;

namespace SharpBpf.PcapFilter;

/// <summary>Across blocks: jump threading, the or/and pull-ups, equal-block merging (optimize.c opt_j .. intern_blocks).</summary>
internal sealed partial class Optimizer
{
    private void OptBlocks(bool doStmts)
    {
        InitValues();
        var maxLevel = _root.Level;
        FindInEdges();
        for (var i = maxLevel; i >= 0; i--)
            foreach (var p in Level(i))
                OptBlock(p, doStmts);
        if (doStmts)
            return;
        for (var i = 1; i <= maxLevel; i++)
        {
            foreach (var p in Level(i))
            {
                OptJump(p.Et);
                OptJump(p.Ef);
            }
        }
        FindInEdges();
        for (var i = 1; i <= maxLevel; i++)
        {
            foreach (var p in Level(i))
            {
                OrPullup(p);
                AndPullup(p);
            }
        }
    }

    private void FindInEdges()
    {
        foreach (var b in _blocks)
            b.InEdges = null;
        for (var level = _root.Level; level > 0; level--)
        {
            foreach (var b in Level(level))
            {
                b.Et.Next = b.Jt!.InEdges;
                b.Jt.InEdges = b.Et;
                b.Ef.Next = b.Jf!.InEdges;
                b.Jf.InEdges = b.Ef;
            }
        }
    }

    private static bool UseConflict(Block b, Block succ)
    {
        var use = succ.OutUse;
        if (use == 0)
            return false;
        for (var atom = 0; atom < AtomCount; atom++)
            if ((use & 1u << atom) != 0 && b.Val[atom] != succ.Val[atom])
                return true;
        return false;
    }

    private static Block? FoldEdge(Block child, Edge ep)
    {
        var code = ep.Code;
        bool sense;
        if (code < 0)
        {
            code = -code;
            sense = false;
        }
        else
        {
            sense = true;
        }
        if (child.Code != code)
            return null;
        if (child.Val[AAtom] != ep.Pred!.Val[AAtom])
            return null;
        if (child.Oval == ep.Pred.Oval)
            return sense ? child.Jt : child.Jf;
        if (sense && code == (Jmp | Jeq | K))
            return child.Jf;
        return null;
    }

    private void OptJump(Edge ep)
    {
        if (ep.Succ!.Jt is null)
            return;
        if (ep.Succ.Jt == ep.Succ.Jf && !UseConflict(ep.Pred!, ep.Succ.Jt))
        {
            Changed();
            ep.Succ = ep.Succ.Jt;
        }
    top:
        for (var i = 0; i < _edgeWords; i++)
        {
            var x = ep.Edom[i];
            while (x != 0)
            {
                var k = BitOperations.TrailingZeroCount(x);
                x &= ~(1UL << k);
                k += i * 64;
                if (k >= _edges.Length)
                    continue;
                var target = FoldEdge(ep.Succ!, _edges[k]);
                if (target is not null && !UseConflict(ep.Pred!, target))
                {
                    _done = false;
                    ep.Succ = target;
                    if (target.Jt is not null)
                        goto top;
                    return;
                }
            }
        }
    }

    private delegate ref Block? Branch(Block b);

    private static ref Block? TrueOf(Block b) => ref b.Et.Succ;
    private static ref Block? FalseOf(Block b) => ref b.Ef.Succ;

    /// <summary>or_pullup (onward = false branches, shared = true branch) and and_pullup (the mirror image).</summary>
    private void Pullup(Block b, Branch onward, Branch shared)
    {
        var ep = b.InEdges;
        if (ep is null)
            return;
        var val = ep.Pred!.Val[AAtom];
        for (ep = ep.Next; ep is not null; ep = ep.Next)
            if (val != ep.Pred!.Val[AAtom])
                return;
        var first = b.InEdges!.Pred!;
        // diff and same are "pointers to a branch field": the owner block and which branch.
        (Block Owner, Branch Field) diff = first.Jt == b ? (first, TrueOf) : (first, FalseOf);
        var atTop = true;
        while (true)
        {
            var d = diff.Field(diff.Owner);
            if (d is null || shared(d) != shared(b) || !Member(d.Dom, b.Id))
                return;
            if (d.Val[AAtom] != val)
                break;
            diff = (d, onward);
            atTop = false;
        }
        (Block Owner, Branch Field) same = (diff.Field(diff.Owner)!, onward);
        while (true)
        {
            var s = same.Field(same.Owner);
            if (s is null || shared(s) != shared(b) || !Member(s.Dom, b.Id))
                return;
            if (s.Val[AAtom] == val)
                break;
            same = (s, onward);
        }
        var pull = same.Field(same.Owner)!;
        same.Field(same.Owner) = onward(pull);
        onward(pull) = diff.Field(diff.Owner);
        if (atTop)
        {
            for (ep = b.InEdges; ep is not null; ep = ep.Next)
            {
                if (ep.Pred!.Jt == b)
                    ep.Pred.Jt = pull;
                else
                    ep.Pred.Jf = pull;
            }
        }
        else
        {
            diff.Field(diff.Owner) = pull;
        }
        _done = false;
    }

    private void OrPullup(Block b) => Pullup(b, FalseOf, TrueOf);
    private void AndPullup(Block b) => Pullup(b, TrueOf, FalseOf);

    // ---- after the loops ----

    private static bool EqualStatements(Stmt? x, Stmt? y)
    {
        while (true)
        {
            while (x is not null && x.Code == Stmt.Nop)
                x = x.Next;
            while (y is not null && y.Code == Stmt.Nop)
                y = y.Next;
            if (x is null)
                return y is null;
            if (y is null)
                return false;
            if (x.Code != y.Code || x.K != y.K)
                return false;
            x = x.Next;
            y = y.Next;
        }
    }

    private static bool EqualBlocks(Block b0, Block b1) =>
        b0.Code == b1.Code && b0.K == b1.K && b0.Jt == b1.Jt && b0.Jf == b1.Jf && EqualStatements(b0.Stmts, b1.Stmts);

    private static void MarkReachable(Block p, int mark)
    {
        if (p.Mark == mark)
            return;
        p.Mark = mark;
        if (Class(p.Code) != Ret)
        {
            MarkReachable(p.Jt!, mark);
            MarkReachable(p.Jf!, mark);
        }
    }

    private void InternBlocks()
    {
        var n = _blocks.Count;
        bool done;
        do
        {
            done = true;
            foreach (var b in _blocks)
                b.Link = null;
            var mark = Block.NewMark();
            MarkReachable(_root, mark);
            for (var i = n - 1; i != 0;)
            {
                --i;
                if (_blocks[i].Mark != mark)
                    continue;
                for (var j = i + 1; j < n; j++)
                {
                    if (_blocks[j].Mark != mark)
                        continue;
                    if (EqualBlocks(_blocks[i], _blocks[j]))
                    {
                        _blocks[i].Link = _blocks[j].Link ?? _blocks[j];
                        break;
                    }
                }
            }
            foreach (var p in _blocks)
            {
                if (p.Jt is null)
                    continue;
                if (p.Jt.Link is not null)
                {
                    done = false;
                    p.Jt = p.Jt.Link;
                }
                if (p.Jf!.Link is not null)
                {
                    done = false;
                    p.Jf = p.Jf.Link;
                }
            }
        }
        while (!done);
    }

    private static Block OptRoot(Block b)
    {
        var s = b.Stmts;
        b.Stmts = null;
        while (Class(b.Code) == Jmp && b.Jt == b.Jf)
            b = b.Jt!;
        var tmp = b.Stmts;
        if (tmp is not null)
            s = Stmt.Append(s, tmp);
        b.Stmts = s;
        if (Class(b.Code) == Ret)
            b.Stmts = null;
        return b;
    }
}
