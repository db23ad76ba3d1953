namespace SharpBpf.Verifier;

/// <summary>
/// A tracked number (the kernel's tnum): bits set in <see cref="Mask"/> are unknown, the others equal those of
/// <see cref="Value"/>. The operations are the kernel's (kernel/bpf/tnum.c), so known bits agree with its log.
/// </summary>
public readonly record struct Tnum(ulong Value, ulong Mask)
{
    public static readonly Tnum Unknown = new(0, ulong.MaxValue);

    public static Tnum Const(ulong value) => new(value, 0);

    public bool IsConst => Mask == 0;

    /// <summary>The tnum of every value in [min, max].</summary>
    public static Tnum Range(ulong min, ulong max)
    {
        ulong chi = min ^ max;
        int bits = chi == 0 ? 0 : 64 - System.Numerics.BitOperations.LeadingZeroCount(chi);
        if (bits > 63)
            return Unknown;
        ulong delta = (1UL << bits) - 1;
        return new Tnum(min & ~delta, delta);
    }

    public Tnum Add(Tnum b)
    {
        ulong sm = Mask + b.Mask, sv = Value + b.Value, sigma = sm + sv, chi = sigma ^ sv, mu = chi | Mask | b.Mask;
        return new Tnum(sv & ~mu, mu);
    }

    public Tnum Sub(Tnum b)
    {
        ulong dv = Value - b.Value, alpha = dv + Mask, beta = dv - b.Mask, chi = alpha ^ beta, mu = chi | Mask | b.Mask;
        return new Tnum(dv & ~mu, mu);
    }

    public Tnum And(Tnum b)
    {
        ulong alpha = Value | Mask, beta = b.Value | b.Mask, v = Value & b.Value;
        return new Tnum(v, alpha & beta & ~v);
    }

    public Tnum Or(Tnum b)
    {
        ulong v = Value | b.Value, mu = Mask | b.Mask;
        return new Tnum(v, mu & ~v);
    }

    public Tnum Xor(Tnum b)
    {
        ulong v = Value ^ b.Value, mu = Mask | b.Mask;
        return new Tnum(v & ~mu, mu);
    }

    public Tnum Mul(Tnum b)
    {
        // The kernel's tnum_mul: long multiplication, each unknown bit of a contributing an unknown copy of b.
        Tnum a = this, acc_v = Const(Value * b.Value), acc_m = Const(0);
        while (a.Value != 0 || a.Mask != 0)
        {
            if ((a.Value & 1) != 0)
                acc_m = acc_m.Add(new Tnum(0, b.Mask));
            else if ((a.Mask & 1) != 0)
                acc_m = acc_m.Add(new Tnum(0, b.Value | b.Mask));
            a = a.Rsh(1);
            b = b.Lsh(1);
        }
        return acc_v.Add(acc_m);
    }

    public Tnum Lsh(int shift) => new(Value << shift, Mask << shift);
    public Tnum Rsh(int shift) => new(Value >> shift, Mask >> shift);
    public Tnum Arsh(int shift, int bits) => bits == 32
        ? new Tnum((uint)((int)Value >> shift), (uint)((int)Mask >> shift))
        : new Tnum((ulong)((long)Value >> shift), (ulong)((long)Mask >> shift));

    public Tnum Intersect(Tnum b)
    {
        ulong v = Value | b.Value, mu = Mask & b.Mask;
        return new Tnum(v & ~mu, mu);
    }

    /// <summary>The low 32 bits (the subregister), zero-extended.</summary>
    public Tnum Subreg => new((uint)Value, (uint)Mask);

    public Tnum Cast(int bytes) => bytes >= 8 ? this : new Tnum(Value & ((1UL << (bytes * 8)) - 1), Mask & ((1UL << (bytes * 8)) - 1));

    /// <summary>True when every value <paramref name="b"/> allows is allowed here.</summary>
    public bool Contains(Tnum b) => (b.Mask & ~Mask) == 0 && (b.Value & ~Mask) == Value;

    public bool IsAligned(ulong size) => ((Value | Mask) & (size - 1)) == 0;

    public ulong Min => Value;
    public ulong Max => Value | Mask;

    /// <summary>The kernel's spelling: <c>(0x0; 0xff)</c>.</summary>
    public override string ToString() => $"(0x{Value:x}; 0x{Mask:x})";
}
