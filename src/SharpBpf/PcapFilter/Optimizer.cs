using System.Numerics;
using static SharpBpf.Cbpf.Cbpf;

namespace SharpBpf.PcapFilter;

/// <summary>
/// libpcap's optimiser (optimize.c), step for step, so the output is the instruction sequence tcpdump prints:
/// value numbering and constant folding inside blocks, peephole rewrites, dead-store removal, jump threading
/// over dominating edges that already decided the same test, the or/and pull-ups, then merging equal blocks.
/// The walk orders (levels, in-edge lists, bit order of edge sets) follow libpcap's so ties break the same way.
/// </summary>
internal sealed partial class Optimizer
{
    public const int AtomCount = MemWords + 2;
    private const int AAtom = MemWords, XAtom = MemWords + 1, AxAtom = AtomCount;
    private const int Unknown = 0;

    private readonly List<Block> _blocks = [];
    private Edge[] _edges = [];
    private Block?[] _levels = [];
    private int _nodeWords, _edgeWords;
    private Block _root;
    private bool _done, _nonBranchMovement;

    private readonly Dictionary<(int, uint, uint), int> _values = [];
    private readonly List<(bool IsConst, uint Value)> _vmap = [(false, 0)];

    private Optimizer(Block root) => _root = root;

    public static Block Optimize(Block root)
    {
        var optimizer = new Optimizer(root);
        optimizer.Init();
        optimizer.Loop(false);
        optimizer.Loop(true);
        optimizer.InternBlocks();
        return OptRoot(optimizer._root);
    }

    // ---- set-up ----

    private void Init()
    {
        var mark = Block.NewMark();
        Number(_root, mark);
        var n = _blocks.Count;
        _edges = new Edge[2 * n];
        _levels = new Block?[n];
        _edgeWords = 2 * n / 64 + 1;
        _nodeWords = n / 64 + 1;
        for (var i = 0; i < n; i++)
        {
            var b = _blocks[i];
            b.Dom = new ulong[_nodeWords];
            b.Closure = new ulong[_nodeWords];
            b.Et.Edom = new ulong[_edgeWords];
            b.Ef.Edom = new ulong[_edgeWords];
            b.Et.Id = i;
            _edges[i] = b.Et;
            b.Ef.Id = n + i;
            _edges[n + i] = b.Ef;
            b.Et.Pred = b;
            b.Ef.Pred = b;
        }
    }

    private void Number(Block? p, int mark)
    {
        if (p is null || p.Mark == mark)
            return;
        p.Mark = mark;
        p.Id = _blocks.Count;
        _blocks.Add(p);
        Number(p.Jt, mark);
        Number(p.Jf, mark);
    }

    private static bool Member(ulong[] set, int i) => (set[i / 64] & 1UL << (i % 64)) != 0;
    private static void Insert(ulong[] set, int i) => set[i / 64] |= 1UL << (i % 64);

    private static void Intersect(ulong[] a, ulong[] b)
    {
        for (var i = 0; i < a.Length; i++)
            a[i] &= b[i];
    }

    private static void Union(ulong[] a, ulong[] b)
    {
        for (var i = 0; i < a.Length; i++)
            a[i] |= b[i];
    }

    // ---- the fixed point ----

    private void Loop(bool doStmts)
    {
        var loopCount = 0;
        while (true)
        {
            _done = true;
            _nonBranchMovement = false;
            FindLevels();
            FindDom();
            FindClosure();
            FindUd();
            FindEdom();
            OptBlocks(doStmts);
            if (_done)
                break;
            if (_nonBranchMovement)
            {
                loopCount = 0;
            }
            else if (++loopCount >= 100)
            {
                _done = true;
                break;
            }
        }
    }

    private void FindLevels()
    {
        Array.Clear(_levels);
        FindLevels(_root, Block.NewMark());
    }

    private void FindLevels(Block b, int mark)
    {
        if (b.Mark == mark)
            return;
        b.Mark = mark;
        b.Link = null;
        int level;
        if (b.Jt is not null)
        {
            FindLevels(b.Jt, mark);
            FindLevels(b.Jf!, mark);
            level = Math.Max(b.Jt.Level, b.Jf!.Level) + 1;
        }
        else
        {
            level = 0;
        }
        b.Level = level;
        b.Link = _levels[level];
        _levels[level] = b;
    }

    private IEnumerable<Block> Level(int level)
    {
        for (var b = _levels[level]; b is not null; b = b.Link)
            yield return b;
    }

    private void FindDom()
    {
        foreach (var b in _blocks)
            Array.Fill(b.Dom, ulong.MaxValue);
        Array.Clear(_root.Dom);
        for (var level = _root.Level; level >= 0; level--)
        {
            foreach (var b in Level(level))
            {
                Insert(b.Dom, b.Id);
                if (b.Jt is null)
                    continue;
                Intersect(b.Jt.Dom, b.Dom);
                Intersect(b.Jf!.Dom, b.Dom);
            }
        }
    }

    private void PropEdom(Edge ep)
    {
        Insert(ep.Edom, ep.Id);
        if (ep.Succ is not null)
        {
            Intersect(ep.Succ.Et.Edom, ep.Edom);
            Intersect(ep.Succ.Ef.Edom, ep.Edom);
        }
    }

    private void FindEdom()
    {
        foreach (var b in _blocks)
        {
            Array.Fill(b.Et.Edom, ulong.MaxValue);
            Array.Fill(b.Ef.Edom, ulong.MaxValue);
        }
        Array.Clear(_root.Et.Edom);
        Array.Clear(_root.Ef.Edom);
        for (var level = _root.Level; level >= 0; level--)
        {
            foreach (var b in Level(level))
            {
                PropEdom(b.Et);
                PropEdom(b.Ef);
            }
        }
    }

    private void FindClosure()
    {
        foreach (var b in _blocks)
            Array.Clear(b.Closure);
        for (var level = _root.Level; level >= 0; level--)
        {
            foreach (var b in Level(level))
            {
                Insert(b.Closure, b.Id);
                if (b.Jt is null)
                    continue;
                Union(b.Jt.Closure, b.Closure);
                Union(b.Jf!.Closure, b.Closure);
            }
        }
    }

    // ---- use/def ----

    private static int AtomUse(int code, uint k)
    {
        if (code == Stmt.Nop)
            return -1;
        switch (Class(code))
        {
            case Ret:
                return RVal(code) == A ? AAtom : RVal(code) == X ? XAtom : -1;
            case Ld:
            case Ldx:
                return Mode(code) == Ind ? XAtom : Mode(code) == Mem ? (int)k : -1;
            case St:
                return AAtom;
            case Stx:
                return XAtom;
            case Jmp:
            case Alu:
                return Src(code) == X ? AxAtom : AAtom;
            default:
                return MiscOp(code) == Txa ? XAtom : AAtom;
        }
    }

    private static int AtomDef(int code, uint k)
    {
        if (code == Stmt.Nop)
            return -1;
        return Class(code) switch
        {
            Ld or Alu => AAtom,
            Ldx => XAtom,
            St or Stx => (int)k,
            Misc => MiscOp(code) == Tax ? XAtom : AAtom,
            _ => -1,
        };
    }

    private static uint Use(int atom, uint def, uint use)
    {
        if (atom == AxAtom)
        {
            if ((def & 1u << XAtom) == 0)
                use |= 1u << XAtom;
            if ((def & 1u << AAtom) == 0)
                use |= 1u << AAtom;
        }
        else if (atom >= 0 && (def & 1u << atom) == 0)
        {
            use |= 1u << atom;
        }
        return use;
    }

    private static void ComputeLocalUd(Block b)
    {
        uint def = 0, use = 0, killed = 0;
        for (var s = b.Stmts; s is not null; s = s.Next)
        {
            if (s.Code == Stmt.Nop)
                continue;
            use = Use(AtomUse(s.Code, s.K), def, use);
            var atom = AtomDef(s.Code, s.K);
            if (atom >= 0)
            {
                if ((use & 1u << atom) == 0)
                    killed |= 1u << atom;
                def |= 1u << atom;
            }
        }
        if (Class(b.Code) == Jmp)
            use = Use(AtomUse(b.Code, b.K), def, use);
        b.Def = def;
        b.Kill = killed;
        b.InUse = use;
    }

    private void FindUd()
    {
        var maxLevel = _root.Level;
        for (var i = maxLevel; i >= 0; i--)
        {
            foreach (var p in Level(i))
            {
                ComputeLocalUd(p);
                p.OutUse = 0;
            }
        }
        for (var i = 1; i <= maxLevel; i++)
        {
            foreach (var p in Level(i))
            {
                p.OutUse |= p.Jt!.InUse | p.Jf!.InUse;
                p.InUse |= p.OutUse & ~p.Kill;
            }
        }
    }

    // ---- value numbering ----

    private void InitValues()
    {
        _values.Clear();
        _vmap.Clear();
        _vmap.Add((false, 0));
    }

    private int F(int code, uint v0, uint v1)
    {
        if (_values.TryGetValue((code, v0, v1), out var known))
            return known;
        var val = _vmap.Count;
        var isConst = Mode(code) == Imm && Class(code) is Ld or Ldx;
        _vmap.Add((isConst, isConst ? v0 : 0));
        _values[(code, v0, v1)] = val;
        return val;
    }

    private int Kv(uint k) => F(Ld | Imm | W, k, 0);
    private bool IsConst(int val) => _vmap[val].IsConst;
    private uint ConstVal(int val) => _vmap[val].Value;

    private void Changed()
    {
        _nonBranchMovement = true;
        _done = false;
    }
}
