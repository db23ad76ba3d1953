using static SharpBpf.Cbpf.Cbpf;

namespace SharpBpf.PcapFilter;

/// <summary>Inside one block: value numbering, folding, peephole rewrites and dead stores (optimize.c opt_blk).</summary>
internal sealed partial class Optimizer
{
    private void VStore(Stmt s, int[] val, int atom, int newVal, bool alter)
    {
        if (alter && newVal != Unknown && val[atom] == newVal)
            s.Code = Stmt.Nop;
        else
            val[atom] = newVal;
    }

    private void FoldOp(Stmt s, int v0, int v1)
    {
        var a = ConstVal(v0);
        var b = ConstVal(v1);
        var op = Op(s.Code);
        if (b == 0 && op == Div)
            throw new PcapFilterException("division by zero");
        if (b == 0 && op == Mod)
            throw new PcapFilterException("modulus by zero");
        // libpcap folds a shift by 32 or more to 0 (the kernel masks the count at run time)
        s.K = op is Lsh or Rsh && b >= 32 ? 0 : Cbpf.CbpfInterpreter.Alu(op, a, b);
        s.Code = Ld | Imm;
        Changed();
    }

    private void OptStmt(Stmt s, int[] val, bool alter)
    {
        int v;
        switch (s.Code)
        {
            case Ld | Abs | W:
            case Ld | Abs | H:
            case Ld | Abs | B:
                VStore(s, val, AAtom, F(s.Code, s.K, 0), alter);
                break;
            case Ld | Ind | W:
            case Ld | Ind | H:
            case Ld | Ind | B:
                v = val[XAtom];
                if (alter && IsConst(v))
                {
                    s.Code = Ld | Abs | Size(s.Code);
                    s.K += ConstVal(v);
                    v = F(s.Code, s.K, 0);
                    Changed();
                }
                else
                {
                    v = F(s.Code, s.K, (uint)v);
                }
                VStore(s, val, AAtom, v, alter);
                break;
            case Ld | Cbpf.Cbpf.Len:
                VStore(s, val, AAtom, F(s.Code, 0, 0), alter);
                break;
            case Ld | Imm:
                VStore(s, val, AAtom, Kv(s.K), alter);
                break;
            case Ldx | Imm:
                VStore(s, val, XAtom, Kv(s.K), alter);
                break;
            case Ldx | Msh | B:
                VStore(s, val, XAtom, F(s.Code, s.K, 0), alter);
                break;
            case Alu | Neg:
                if (alter && IsConst(val[AAtom]))
                {
                    s.Code = Ld | Imm;
                    s.K = 0u - ConstVal(val[AAtom]);
                    val[AAtom] = Kv(s.K);
                }
                else
                {
                    val[AAtom] = F(s.Code, (uint)val[AAtom], 0);
                }
                break;
            case Alu | Add | K:
            case Alu | Sub | K:
            case Alu | Mul | K:
            case Alu | Div | K:
            case Alu | Mod | K:
            case Alu | And | K:
            case Alu | Or | K:
            case Alu | Xor | K:
            case Alu | Lsh | K:
            case Alu | Rsh | K:
            {
                var op = Op(s.Code);
                if (alter)
                {
                    if (s.K == 0)
                    {
                        if (op is Add or Lsh or Rsh or Or or Xor)
                        {
                            s.Code = Stmt.Nop;
                            break;
                        }
                        if (op is Mul or And)
                        {
                            s.Code = Ld | Imm;
                            val[AAtom] = Kv(s.K);
                            break;
                        }
                        if (op == Div)
                            throw new PcapFilterException("division by zero");
                        if (op == Mod)
                            throw new PcapFilterException("modulus by zero");
                    }
                    if (IsConst(val[AAtom]))
                    {
                        FoldOp(s, val[AAtom], Kv(s.K));
                        val[AAtom] = Kv(s.K);
                        break;
                    }
                }
                val[AAtom] = F(s.Code, (uint)val[AAtom], (uint)Kv(s.K));
                break;
            }
            case Alu | Add | X:
            case Alu | Sub | X:
            case Alu | Mul | X:
            case Alu | Div | X:
            case Alu | Mod | X:
            case Alu | And | X:
            case Alu | Or | X:
            case Alu | Xor | X:
            case Alu | Lsh | X:
            case Alu | Rsh | X:
            {
                var op = Op(s.Code);
                if (alter && IsConst(val[XAtom]))
                {
                    if (IsConst(val[AAtom]))
                    {
                        FoldOp(s, val[AAtom], val[XAtom]);
                        val[AAtom] = Kv(s.K);
                    }
                    else
                    {
                        s.Code = Alu | K | op;
                        s.K = ConstVal(val[XAtom]);
                        if (op is Lsh or Rsh && s.K > 31)
                            throw new PcapFilterException("shift by more than 31 bits");
                        Changed();
                        val[AAtom] = F(s.Code, (uint)val[AAtom], (uint)Kv(s.K));
                    }
                    break;
                }
                if (alter && IsConst(val[AAtom]) && ConstVal(val[AAtom]) == 0)
                {
                    if (op is Add or Or or Xor)
                    {
                        s.Code = Misc | Txa;
                        VStore(s, val, AAtom, val[XAtom], alter);
                        break;
                    }
                    if (op is Mul or Div or Mod or And or Lsh or Rsh)
                    {
                        s.Code = Ld | Imm;
                        s.K = 0;
                        VStore(s, val, AAtom, Kv(s.K), alter);
                        break;
                    }
                }
                val[AAtom] = F(s.Code, (uint)val[AAtom], (uint)val[XAtom]);
                break;
            }
            case Misc | Txa:
                VStore(s, val, AAtom, val[XAtom], alter);
                break;
            case Ld | Mem:
                v = val[s.K];
                if (alter && IsConst(v))
                {
                    s.Code = Ld | Imm;
                    s.K = ConstVal(v);
                    Changed();
                }
                VStore(s, val, AAtom, v, alter);
                break;
            case Misc | Tax:
                VStore(s, val, XAtom, val[AAtom], alter);
                break;
            case Ldx | Mem:
                v = val[s.K];
                if (alter && IsConst(v))
                {
                    s.Code = Ldx | Imm;
                    s.K = ConstVal(v);
                    Changed();
                }
                VStore(s, val, XAtom, v, alter);
                break;
            case St:
                VStore(s, val, (int)s.K, val[AAtom], alter);
                break;
            case Stx:
                VStore(s, val, (int)s.K, val[XAtom], alter);
                break;
        }
    }

    private static Stmt? ThisOp(Stmt? s)
    {
        while (s is not null && s.Code == Stmt.Nop)
            s = s.Next;
        return s;
    }

    private static void OptNot(Block b) => (b.Jt, b.Jf) = (b.Jf, b.Jt);

    private void Peephole(Block b)
    {
        var s = b.Stmts;
        if (s is null)
            return;
        var last = s;
        for (Stmt? next; ; s = next)
        {
            s = ThisOp(s);
            if (s is null)
                break;
            next = ThisOp(s.Next);
            if (next is null)
                break;
            last = next;
            if (s.Code == St && next.Code == (Ldx | Mem) && s.K == next.K)
            {
                Changed();
                next.Code = Misc | Tax;
            }
            if (s.Code == (Ld | Imm) && next.Code == (Misc | Tax))
            {
                s.Code = Ldx | Imm;
                next.Code = Misc | Txa;
                Changed();
            }
            if (s.Code == (Ld | Imm))
            {
                if ((b.OutUse & 1u << XAtom) != 0)
                    continue;
                var add = next.Code != (Ldx | Msh | B) ? next : ThisOp(next.Next);
                if (add is null || add.Code != (Alu | Add | X))
                    continue;
                var tax = ThisOp(add.Next);
                if (tax is null || tax.Code != (Misc | Tax))
                    continue;
                var ild = ThisOp(tax.Next);
                if (ild is null || Class(ild.Code) != Ld || Mode(ild.Code) != Ind)
                    continue;
                ild.K += s.K;
                s.Code = Stmt.Nop;
                add.Code = Stmt.Nop;
                tax.Code = Stmt.Nop;
                Changed();
            }
        }
        if (b.Code == (Jmp | Jeq | K) && (b.OutUse & 1u << AAtom) == 0)
        {
            if (last.Code == (Alu | Sub | X))
            {
                var val = b.Val[XAtom];
                if (IsConst(val))
                {
                    b.K += ConstVal(val);
                    last.Code = Stmt.Nop;
                    Changed();
                }
                else if (b.K == 0)
                {
                    last.Code = Stmt.Nop;
                    b.Code = Jmp | Jeq | X;
                    Changed();
                }
            }
            else if (last.Code == (Alu | Sub | K))
            {
                last.Code = Stmt.Nop;
                b.K += last.K;
                Changed();
            }
            else if (last.Code == (Alu | And | K) && b.K == 0)
            {
                b.K = last.K;
                b.Code = Jmp | K | Jset;
                last.Code = Stmt.Nop;
                Changed();
                OptNot(b);
            }
        }
        if (b.Code == (Jmp | K | Jset))
        {
            if (b.K == 0)
                b.Jt = b.Jf;
            if (b.K == 0xffffffff)
                b.Jf = b.Jt;
        }
        var xval = b.Val[XAtom];
        if (IsConst(xval) && Src(b.Code) == X)
        {
            b.Code &= ~X;
            b.K = ConstVal(xval);
        }
        var aval = b.Val[AAtom];
        if (IsConst(aval) && Src(b.Code) == K)
        {
            var v = ConstVal(aval);
            v = Op(b.Code) switch
            {
                Jeq => v == b.K ? 1u : 0u,
                Jgt => v > b.K ? 1u : 0u,
                Jge => v >= b.K ? 1u : 0u,
                Jset => v & b.K,
                _ => throw new InvalidOperationException($"unexpected branch 0x{b.Code:x}"),
            };
            if (b.Jf != b.Jt)
                Changed();
            if (v != 0)
                b.Jf = b.Jt;
            else
                b.Jt = b.Jf;
        }
    }

    private void DeadStmt(ref int code, uint k, Stmt?[] last, Stmt? owner)
    {
        var atom = AtomUse(code, k);
        if (atom >= 0)
        {
            if (atom == AxAtom)
            {
                last[XAtom] = null;
                last[AAtom] = null;
            }
            else
            {
                last[atom] = null;
            }
        }
        atom = AtomDef(code, k);
        if (atom >= 0)
        {
            if (last[atom] is { } dead)
            {
                Changed();
                dead.Code = Stmt.Nop;
            }
            last[atom] = owner;
        }
    }

    private void DeadStores(Block b)
    {
        var last = new Stmt?[AtomCount];
        for (var s = b.Stmts; s is not null; s = s.Next)
            DeadStmt(ref s.Code, s.K, last, s);
        // The branch defines nothing (a jump or a return), so it only clears what it reads.
        var branch = b.Code;
        DeadStmt(ref branch, b.K, last, null);
        for (var atom = 0; atom < AtomCount; atom++)
        {
            if (last[atom] is { } dead && (b.OutUse & 1u << atom) == 0)
            {
                dead.Code = Stmt.Nop;
                Changed();
            }
        }
    }

    private void OptBlock(Block b, bool doStmts)
    {
        var p = b.InEdges;
        if (p is null)
        {
            Array.Clear(b.Val);
        }
        else
        {
            Array.Copy(p.Pred!.Val, b.Val, AtomCount);
            for (var other = p.Next; other is not null; other = other.Next)
                for (var i = 0; i < AtomCount; i++)
                    if (b.Val[i] != other.Pred!.Val[i])
                        b.Val[i] = 0;
        }
        var aval = b.Val[AAtom];
        var xval = b.Val[XAtom];
        for (var s = b.Stmts; s is not null; s = s.Next)
            OptStmt(s, b.Val, doStmts);
        if (doStmts && (b.OutUse == 0 && aval != Unknown && b.Val[AAtom] == aval && xval != Unknown && b.Val[XAtom] == xval
                        || Class(b.Code) == Ret))
        {
            if (b.Stmts is not null)
            {
                b.Stmts = null;
                Changed();
            }
        }
        else
        {
            Peephole(b);
            DeadStores(b);
        }
        b.Oval = Src(b.Code) == K ? Kv(b.K) : b.Val[XAtom];
        b.Et.Code = b.Code;
        b.Ef.Code = -b.Code;
    }
}
