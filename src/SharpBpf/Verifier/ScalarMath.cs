using SharpBpf.Isa;

namespace SharpBpf.Verifier;

/// <summary>
/// Arithmetic on scalar bounds (the kernel's adjust_scalar_min_max_vals, simplified): 64-bit operations track
/// signed and unsigned intervals and known bits; 32-bit operations work on the zero-extended subregisters and
/// truncate, which is sound and loses only what the kernel's separate 32-bit bounds would keep.
/// </summary>
internal static class ScalarMath
{
    private const ulong U32 = 0xffff_ffffUL;

    public static RegState Apply(AluOp op, RegState a, RegState b, bool is64)
    {
        if (!is64)
        {
            a = Subreg(a);
            b = Subreg(b);
            if (op == AluOp.Arsh)
                return ArshSubreg(a, b);
        }
        var r = Apply64(op, a, b, is64 ? 64 : 32);
        return is64 ? r : Truncate32(r);
    }

    private static RegState Apply64(AluOp op, RegState a, RegState b, int bits)
    {
        if (a.IsConst && b.IsConst && Fold(op, a.Var.Value, b.Var.Value, bits) is { } folded)
            return RegState.Const(folded);
        var r = RegState.Unknown;
        switch (op)
        {
            case AluOp.Add:
                r.Var = a.Var.Add(b.Var);
                if (!AddOverflows(a.SMin, b.SMin) && !AddOverflows(a.SMax, b.SMax)) { r.SMin = a.SMin + b.SMin; r.SMax = a.SMax + b.SMax; }
                if (a.UMax + b.UMax >= a.UMax && a.UMin + b.UMin >= a.UMin) { r.UMin = a.UMin + b.UMin; r.UMax = a.UMax + b.UMax; }
                break;
            case AluOp.Sub:
                r.Var = a.Var.Sub(b.Var);
                if (!SubOverflows(a.SMin, b.SMax) && !SubOverflows(a.SMax, b.SMin)) { r.SMin = a.SMin - b.SMax; r.SMax = a.SMax - b.SMin; }
                if (a.UMin >= b.UMax) { r.UMin = a.UMin - b.UMax; r.UMax = a.UMax - b.UMin; }
                break;
            case AluOp.Mul:
                r.Var = a.Var.Mul(b.Var);
                if (a.UMax <= U32 && b.UMax <= U32) { r.UMin = a.UMin * b.UMin; r.UMax = a.UMax * b.UMax; }
                break;
            case AluOp.Div:
                r.UMax = a.UMax; // x / y <= x, and x / 0 == 0
                break;
            case AluOp.Mod:
                r.UMax = b.UMin > 0 ? Math.Min(a.UMax, b.UMax - 1) : a.UMax; // x % 0 == x
                break;
            case AluOp.And:
                r.Var = a.Var.And(b.Var);
                r.UMax = Math.Min(a.UMax, b.UMax);
                if (a.SMin >= 0 || b.SMin >= 0) r.SMin = 0;
                break;
            case AluOp.Or:
                r.Var = a.Var.Or(b.Var);
                r.UMin = Math.Max(a.UMin, b.UMin);
                break;
            case AluOp.Xor:
                r.Var = a.Var.Xor(b.Var);
                break;
            case AluOp.Lsh when b.IsConst && b.Var.Value < (ulong)bits:
            {
                int s = (int)b.Var.Value;
                r.Var = a.Var.Lsh(s);
                if (s == 0 || a.UMax >> (64 - s) == 0) { r.UMin = a.UMin << s; r.UMax = a.UMax << s; }
                break;
            }
            case AluOp.Rsh when b.IsConst && b.Var.Value < (ulong)bits:
            {
                int s = (int)b.Var.Value;
                r.Var = a.Var.Rsh(s);
                r.UMin = a.UMin >> s;
                r.UMax = a.UMax >> s;
                break;
            }
            case AluOp.Arsh when b.IsConst && b.Var.Value < (ulong)bits:
            {
                int s = (int)b.Var.Value;
                r.Var = a.Var.Arsh(s, 64);
                r.SMin = a.SMin >> s;
                r.SMax = a.SMax >> s;
                break;
            }
        }
        r.Sync();
        return r.IsEmpty ? RegState.Unknown : r;
    }

    private static ulong? Fold(AluOp op, ulong x, ulong y, int bits) => op switch
    {
        AluOp.Add => x + y,
        AluOp.Sub => x - y,
        AluOp.Mul => x * y,
        AluOp.Div => y == 0 ? 0 : x / y,
        AluOp.Mod => y == 0 ? x : x % y,
        AluOp.And => x & y,
        AluOp.Or => x | y,
        AluOp.Xor => x ^ y,
        AluOp.Lsh => x << (int)(y & (ulong)(bits - 1)),
        AluOp.Rsh => x >> (int)(y & (ulong)(bits - 1)),
        AluOp.Arsh => bits == 64 ? (ulong)((long)x >> (int)(y & 63)) : null,
        _ => null,
    };

    private static RegState ArshSubreg(RegState a, RegState b)
    {
        if (!b.IsConst || b.Var.Value >= 32)
            return RegState.UnsignedRange(0, U32);
        int s = (int)b.Var.Value;
        if (a.IsConst)
            return RegState.Const((uint)((int)(uint)a.Var.Value >> s));
        if (a.UMax <= 0x7fff_ffff)
            return RegState.UnsignedRange(a.UMin >> s, a.UMax >> s);
        return RegState.UnsignedRange(0, U32);
    }

    /// <summary>The low 32 bits as a zero-extended 64-bit scalar.</summary>
    public static RegState Subreg(RegState a)
    {
        if (a.UMax <= U32)
            return a with { Id = 0 };
        if (a.IsConst)
            return RegState.Const((uint)a.Var.Value);
        var r = RegState.Unknown;
        r.Var = a.Var.Subreg;
        if (a.UMin >> 32 == a.UMax >> 32) { r.UMin = a.UMin & U32; r.UMax = a.UMax & U32; }
        else r.UMax = U32;
        r.Sync();
        return r;
    }

    public static RegState Truncate32(RegState r) => Subreg(r);

    /// <summary>Sign-extends the low <paramref name="bits"/> bits (movsx, ldsx).</summary>
    public static RegState SignExtend(RegState a, int bits)
    {
        if (a.IsConst)
            return RegState.Const(bits switch
            {
                8 => (ulong)(long)(sbyte)a.Var.Value,
                16 => (ulong)(long)(short)a.Var.Value,
                _ => (ulong)(long)(int)a.Var.Value,
            });
        ulong half = 1UL << (bits - 1);
        if (a.UMax < half)
            return a with { Id = 0 };
        var r = RegState.Unknown;
        r.SMin = -(long)half;
        r.SMax = (long)half - 1;
        r.Sync();
        return r;
    }

    /// <summary>A value loaded from memory: <paramref name="size"/> bytes, zero- or sign-extended.</summary>
    public static RegState Loaded(int size, bool signed)
    {
        if (size >= 8)
            return RegState.Unknown;
        var r = RegState.UnsignedRange(0, (1UL << (size * 8)) - 1);
        return signed ? SignExtend(r, size * 8) : r;
    }

    /// <summary>le16/be32/bswap64...: the byte-swapped (or truncated) value.</summary>
    public static RegState Endian(RegState a, int bits, bool swap)
    {
        ulong mask = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
        if (a.IsConst)
        {
            ulong v = a.Var.Value & mask;
            if (swap)
                v = bits switch
                {
                    16 => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((ushort)v),
                    32 => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((uint)v),
                    _ => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v),
                };
            return RegState.Const(v);
        }
        if (!swap)
            return bits == 64 ? a with { Id = 0 } : Apply(AluOp.And, a, RegState.Const(mask), true);
        return RegState.UnsignedRange(0, mask);
    }

    private static bool AddOverflows(long x, long y) => (y > 0 && x > long.MaxValue - y) || (y < 0 && x < long.MinValue - y);
    private static bool SubOverflows(long x, long y) => (y < 0 && x > long.MaxValue + y) || (y > 0 && x < long.MinValue + y);
}
