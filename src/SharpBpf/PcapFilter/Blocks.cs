using SharpBpf.Cbpf;

namespace SharpBpf.PcapFilter;

/// <summary>A statement in a block's straight-line code (libpcap's <c>struct slist</c>).</summary>
internal sealed class Stmt
{
    public Stmt(int code, uint k = 0)
    {
        Code = code;
        K = k;
    }

    public int Code;
    public uint K;
    /// <summary>Block-local jump targets (only in the VLAN-extension patch; unused here).</summary>
    public Stmt? Jt, Jf;
    public Stmt? Next;

    public const int Nop = -1;

    public static Stmt Append(Stmt? first, Stmt second)
    {
        if (first is null)
            return second;
        var s = first;
        while (s.Next is not null)
            s = s.Next;
        s.Next = second;
        return first;
    }

    public IEnumerable<Stmt> Chain()
    {
        for (var s = this; s is not null; s = s.Next)
            yield return s;
    }
}

/// <summary>An edge of the flow graph, for the optimiser's edge dominators.</summary>
internal sealed class Edge
{
    public int Id;
    public int Code;
    public ulong[] Edom = [];
    public Block? Succ;
    public Block? Pred;
    public Edge? Next;
}

/// <summary>A basic block: straight-line statements, then one conditional branch (or a return).</summary>
internal sealed class Block
{
    public Block(int code, uint k = 0)
    {
        Code = code;
        K = k;
        Head = this;
        Et = new Edge { Pred = this };
        Ef = new Edge { Pred = this };
    }

    public int Id;
    public Stmt? Stmts;
    /// <summary>The branch statement.</summary>
    public int Code;
    public uint K;
    public int Mark;
    public int LongJt, LongJf;
    public int Level;
    public int Offset;
    public bool Sense;
    public Edge Et, Ef;
    public Block Head;
    public Block? Link;
    public ulong[] Dom = [], Closure = [];
    public Edge? InEdges;
    public uint Def, Kill, InUse, OutUse;
    public int Oval;
    public readonly int[] Val = new int[Optimizer.AtomCount];

    public Block? Jt { get => Et.Succ; set => Et.Succ = value; }
    public Block? Jf { get => Ef.Succ; set => Ef.Succ = value; }

    private static int s_marks;

    /// <summary>A mark value no block carries yet (marks tell visited blocks in one walk).</summary>
    public static int NewMark() => Interlocked.Increment(ref s_marks);

    public bool IsReturn => Cbpf.Cbpf.Class(Code) == Cbpf.Cbpf.Ret;
}
