using SharpBpf.Isa;

namespace SharpBpf.Verifier;

/// <summary>
/// Conditional jumps on scalars: whether a branch is always or never taken (is_branch_taken) and what each side
/// learns about its operands (reg_set_min_max). 32-bit comparisons refine only operands whose value fits in 32 bits.
/// </summary>
internal static class BranchMath
{
    /// <summary>True/false when the comparison's outcome is known, null when both sides are possible.</summary>
    public static bool? Decide(JmpOp op, RegState a, RegState b, bool is64)
    {
        if (!is64)
        {
            a = ScalarMath.Subreg(a);
            b = ScalarMath.Subreg(b);
            if (IsSigned(op))
            {
                (a, b) = (Signed32(a), Signed32(b));
            }
        }
        switch (op)
        {
            case JmpOp.Jeq:
            case JmpOp.Jne:
            {
                bool? eq = null;
                if (a.IsConst && b.IsConst)
                    eq = a.Var.Value == b.Var.Value;
                else if (a.UMin > b.UMax || a.UMax < b.UMin || a.SMin > b.SMax || a.SMax < b.SMin
                    || ((a.Var.Value ^ b.Var.Value) & ~(a.Var.Mask | b.Var.Mask)) != 0)
                    eq = false;
                return eq is null ? null : op == JmpOp.Jeq ? eq : !eq;
            }
            case JmpOp.Jset:
                if (!b.IsConst) return null;
                if ((a.Var.Value & b.Var.Value) != 0) return true;
                if (((a.Var.Value | a.Var.Mask) & b.Var.Value) == 0) return false;
                return null;
            case JmpOp.Jgt: return a.UMin > b.UMax ? true : a.UMax <= b.UMin ? false : null;
            case JmpOp.Jge: return a.UMin >= b.UMax ? true : a.UMax < b.UMin ? false : null;
            case JmpOp.Jlt: return a.UMax < b.UMin ? true : a.UMin >= b.UMax ? false : null;
            case JmpOp.Jle: return a.UMax <= b.UMin ? true : a.UMin > b.UMax ? false : null;
            case JmpOp.Jsgt: return a.SMin > b.SMax ? true : a.SMax <= b.SMin ? false : null;
            case JmpOp.Jsge: return a.SMin >= b.SMax ? true : a.SMax < b.SMin ? false : null;
            case JmpOp.Jslt: return a.SMax < b.SMin ? true : a.SMin >= b.SMax ? false : null;
            case JmpOp.Jsle: return a.SMax <= b.SMin ? true : a.SMin > b.SMax ? false : null;
            default: return null;
        }
    }

    private static bool IsSigned(JmpOp op) => op is JmpOp.Jsgt or JmpOp.Jsge or JmpOp.Jslt or JmpOp.Jsle;

    /// <summary>A zero-extended 32-bit value seen as signed 32-bit, in the 64-bit signed fields.</summary>
    private static RegState Signed32(RegState a)
    {
        var r = a;
        if (a.UMax <= 0x7fff_ffff)
            return r;
        if (a.UMin >= 0x8000_0000)
        {
            r.SMin = (int)(uint)a.UMin;
            r.SMax = (int)(uint)a.UMax;
        }
        else
        {
            r.SMin = int.MinValue;
            r.SMax = int.MaxValue;
        }
        return r;
    }

    /// <summary>Narrows <paramref name="a"/> and <paramref name="b"/> on the side where "a op b" is <paramref name="taken"/>.
    /// Returns false when that side is impossible.</summary>
    public static bool Refine(JmpOp op, bool taken, ref RegState a, ref RegState b, bool is64)
    {
        if (!is64)
        {
            // Refine only when the 64-bit values are their subregisters (and signed compares see them as non-negative).
            ulong limit = IsSigned(op) ? 0x7fff_ffffUL : 0xffff_ffffUL;
            if (a.UMax > limit || b.UMax > limit)
                return true;
        }
        if (!taken)
            op = Negate(op);
        switch (op)
        {
            case JmpOp.Jeq:
            {
                var m = a;
                m.UMin = Math.Max(a.UMin, b.UMin); m.UMax = Math.Min(a.UMax, b.UMax);
                m.SMin = Math.Max(a.SMin, b.SMin); m.SMax = Math.Min(a.SMax, b.SMax);
                m.Var = a.Var.Intersect(b.Var);
                m.Sync();
                int aid = a.Id, bid = b.Id;
                a = m with { Id = aid };
                b = m with { Id = bid };
                break;
            }
            case JmpOp.Jne:
                if (b.IsConst) Exclude(ref a, b.Var.Value);
                if (a.IsConst) Exclude(ref b, a.Var.Value);
                break;
            case JmpOp.Jset:
                break;
            case (JmpOp)0xf0: // "not jset": the tested bits are zero
                if (b.IsConst)
                    a.Var = a.Var.And(Tnum.Const(~b.Var.Value));
                break;
            case JmpOp.Jgt: if (b.UMin == ulong.MaxValue || a.UMax == 0) return false; a.UMin = Math.Max(a.UMin, b.UMin + 1); b.UMax = Math.Min(b.UMax, a.UMax - 1); break;
            case JmpOp.Jge: a.UMin = Math.Max(a.UMin, b.UMin); b.UMax = Math.Min(b.UMax, a.UMax); break;
            case JmpOp.Jlt: if (a.UMin == ulong.MaxValue || b.UMax == 0) return false; a.UMax = Math.Min(a.UMax, b.UMax - 1); b.UMin = Math.Max(b.UMin, a.UMin + 1); break;
            case JmpOp.Jle: a.UMax = Math.Min(a.UMax, b.UMax); b.UMin = Math.Max(b.UMin, a.UMin); break;
            case JmpOp.Jsgt: if (b.SMin == long.MaxValue || a.SMax == long.MinValue) return false; a.SMin = Math.Max(a.SMin, b.SMin + 1); b.SMax = Math.Min(b.SMax, a.SMax - 1); break;
            case JmpOp.Jsge: a.SMin = Math.Max(a.SMin, b.SMin); b.SMax = Math.Min(b.SMax, a.SMax); break;
            case JmpOp.Jslt: if (a.SMin == long.MaxValue || b.SMax == long.MinValue) return false; a.SMax = Math.Min(a.SMax, b.SMax - 1); b.SMin = Math.Max(b.SMin, a.SMin + 1); break;
            case JmpOp.Jsle: a.SMax = Math.Min(a.SMax, b.SMax); b.SMin = Math.Max(b.SMin, a.SMin); break;
        }
        a.Sync();
        b.Sync();
        return !a.IsEmpty && !b.IsEmpty;
    }

    private static void Exclude(ref RegState a, ulong value)
    {
        if (a.IsConst)
        {
            if (a.Var.Value == value) a.UMin = 1; // empty
            return;
        }
        if (a.UMin == value && a.UMin != ulong.MaxValue) a.UMin++;
        else if (a.UMax == value && a.UMax != 0) a.UMax--;
        if (a.SMin == (long)value && a.SMin != long.MaxValue) a.SMin++;
        else if (a.SMax == (long)value && a.SMax != long.MinValue) a.SMax--;
    }

    /// <summary>The comparison that holds on the fall-through side.</summary>
    public static JmpOp Negate(JmpOp op) => op switch
    {
        JmpOp.Jeq => JmpOp.Jne,
        JmpOp.Jne => JmpOp.Jeq,
        JmpOp.Jgt => JmpOp.Jle,
        JmpOp.Jle => JmpOp.Jgt,
        JmpOp.Jge => JmpOp.Jlt,
        JmpOp.Jlt => JmpOp.Jge,
        JmpOp.Jsgt => JmpOp.Jsle,
        JmpOp.Jsle => JmpOp.Jsgt,
        JmpOp.Jsge => JmpOp.Jslt,
        JmpOp.Jslt => JmpOp.Jsge,
        JmpOp.Jset => (JmpOp)0xf0,
        _ => op,
    };
}
