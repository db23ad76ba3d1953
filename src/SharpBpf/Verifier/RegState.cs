using SharpBpf.Objects;

namespace SharpBpf.Verifier;

/// <summary>What a register (or spilled stack slot) holds, as the kernel's verifier names its types.</summary>
public enum RegKind : byte
{
    NotInit,
    Scalar,
    Ctx,
    Stack,
    Packet,
    PacketMeta,
    PacketEnd,
    MapValue,
    MapPtr,
    MapKey,
    RingbufMem,
    /// <summary>Memory of a known size a helper returned or a callback received.</summary>
    Mem,
    /// <summary>A kernel object typed by BTF (tracing contexts): loads from it are probe reads.</summary>
    BtfId,
    Func,
}

/// <summary>
/// One register's abstract value. For scalars the bounds and <see cref="Var"/> describe the value; for pointers they
/// describe the variable part of the offset, <see cref="Off"/> the fixed part (as in the kernel's bpf_reg_state).
/// </summary>
public struct RegState
{
    public RegKind Kind;
    public bool MaybeNull;
    public int Off;
    public Tnum Var;
    public long SMin, SMax;
    public ulong UMin, UMax;
    /// <summary>Pointers from one lookup or one packet pointer derivation share an id; copies of a scalar share one too.</summary>
    public int Id;
    /// <summary>The reference a ringbuf reservation holds until it is submitted or discarded.</summary>
    public int RefId;
    /// <summary>Packet pointers: bytes proven readable from the pointer's start (before <see cref="Off"/>).</summary>
    public int Range;
    /// <summary>Map pointers and map values: the map.</summary>
    public MapSpec? Map;
    /// <summary>Mem, ring buffer memory and map keys: their size in bytes. Func: the target instruction.</summary>
    public int Size;
    /// <summary>Stack pointers: the call frame whose stack they point into.</summary>
    public int Frame;

    public static RegState NotInit => default;

    public static RegState Unknown => new()
    {
        Kind = RegKind.Scalar, Var = Tnum.Unknown, SMin = long.MinValue, SMax = long.MaxValue, UMin = 0, UMax = ulong.MaxValue,
    };

    public static RegState Const(ulong value) => new()
    {
        Kind = RegKind.Scalar, Var = Tnum.Const(value), SMin = (long)value, SMax = (long)value, UMin = value, UMax = value,
    };

    /// <summary>A scalar in [min, max] (unsigned).</summary>
    public static RegState UnsignedRange(ulong min, ulong max)
    {
        var r = Unknown;
        r.UMin = min;
        r.UMax = max;
        r.Sync();
        return r;
    }

    public static RegState Pointer(RegKind kind, int off = 0) => new()
    {
        Kind = kind, Off = off, Var = Tnum.Const(0),
    };

    public readonly bool IsScalar => Kind == RegKind.Scalar;
    public readonly bool IsPointer => Kind > RegKind.Scalar;
    public readonly bool IsConst => Var.IsConst;
    public readonly bool IsPacketPointer => Kind is RegKind.Packet or RegKind.PacketMeta;

    /// <summary>Keeps signed, unsigned and known-bits views consistent (__update_reg_bounds and __reg_deduce_bounds).</summary>
    public void Sync()
    {
        for (int round = 0; round < 2; round++)
        {
            SMin = Math.Max(SMin, (long)(Var.Value | (Var.Mask & 0x8000_0000_0000_0000UL)));
            SMax = Math.Min(SMax, (long)(Var.Value | (Var.Mask & 0x7fff_ffff_ffff_ffffUL)));
            UMin = Math.Max(UMin, Var.Min);
            UMax = Math.Min(UMax, Var.Max);
            if (SMin >= 0 || SMax < 0)
            {
                UMin = Math.Max(UMin, (ulong)SMin);
                UMax = Math.Min(UMax, (ulong)SMax);
            }
            if ((long)UMax >= 0 || (long)UMin < 0)
            {
                SMin = Math.Max(SMin, (long)UMin);
                SMax = Math.Min(SMax, (long)UMax);
            }
            Var = Var.Intersect(Tnum.Range(UMin, UMax));
        }
    }

    /// <summary>True when no value satisfies the bounds (a branch that cannot be taken).</summary>
    public readonly bool IsEmpty => UMin > UMax || SMin > SMax;

    /// <summary>Forgets the variable part (a pointer whose offset is exactly <see cref="Off"/>).</summary>
    public void ZeroVar()
    {
        Var = Tnum.Const(0);
        SMin = SMax = 0;
        UMin = UMax = 0;
    }

    /// <summary>The kernel's name for the type, as its log prints it: <c>scalar</c>, <c>map_value_or_null</c>, <c>pkt</c>...</summary>
    public readonly string TypeName => Kind switch
    {
        RegKind.NotInit => "?",
        RegKind.Scalar => "scalar",
        RegKind.Ctx => "ctx",
        RegKind.Stack => "fp",
        RegKind.Packet => "pkt",
        RegKind.PacketMeta => "pkt_meta",
        RegKind.PacketEnd => "pkt_end",
        RegKind.MapValue => MaybeNull ? "map_value_or_null" : "map_value",
        RegKind.MapPtr => MaybeNull ? "map_ptr_or_null" : "map_ptr",
        RegKind.MapKey => "map_key",
        RegKind.RingbufMem => MaybeNull ? "ringbuf_mem_or_null" : "ringbuf_mem",
        RegKind.Mem => MaybeNull ? "mem_or_null" : "mem",
        RegKind.BtfId => MaybeNull ? "ptr_or_null_" : "ptr_",
        RegKind.Func => "func",
        _ => "?",
    };

    /// <summary>The kernel's state text for the log: <c>scalar(umax=255)</c>, <c>pkt(off=14,r=34)</c>, <c>fp-8</c>.</summary>
    public override readonly string ToString()
    {
        if (Kind == RegKind.Scalar && IsConst)
            return ((long)Var.Value).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (Kind == RegKind.Stack && IsConst)
            return "fp" + (Off + (long)Var.Value).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var parts = new List<string>();
        if (Id != 0) parts.Add($"id={Id}");
        if (RefId != 0) parts.Add($"ref_obj_id={RefId}");
        if (Kind != RegKind.Scalar && Off != 0) parts.Add($"off={Off}");
        if (IsPacketPointer) parts.Add($"r={Range}");
        if (Kind is RegKind.MapValue or RegKind.MapPtr && Map is not null) parts.Add($"map={Map.Name},ks={KeySize},vs={Map.ValueSize}");
        if (Kind is RegKind.Mem or RegKind.RingbufMem) parts.Add($"sz={Size}");
        if (!IsConst)
        {
            if (SMin != long.MinValue && SMin != (long)UMin) parts.Add($"smin={SMin}");
            if (SMax != long.MaxValue && SMax != (long)UMax) parts.Add($"smax={SMax}");
            if (UMin != 0) parts.Add($"umin={UMin}");
            if (UMax != ulong.MaxValue) parts.Add($"umax={UMax}");
            if (Var.Mask != ulong.MaxValue && !(Var == Tnum.Range(UMin, UMax))) parts.Add($"var_off={Var}");
        }
        return $"{TypeName}({string.Join(',', parts)})";
    }

    private readonly int KeySize => Map?.KeySize ?? 0;

    /// <summary>True when this (old, fully explored) value covers every value <paramref name="cur"/> may hold
    /// (regsafe with range_within and tnum_in).</summary>
    public readonly bool Covers(in RegState cur, Dictionary<int, int> idMap)
    {
        if (Kind == RegKind.NotInit)
            return true;
        if (Kind != cur.Kind || MaybeNull != cur.MaybeNull)
            return false;
        bool rangeWithin = SMin <= cur.SMin && SMax >= cur.SMax && UMin <= cur.UMin && UMax >= cur.UMax && Var.Contains(cur.Var);
        if (Kind == RegKind.Scalar)
            return rangeWithin && (Id == 0 || SameId(Id, cur.Id, idMap));
        if (Off != cur.Off || !rangeWithin || !ReferenceEquals(Map, cur.Map) || Size != cur.Size || Frame != cur.Frame)
            return false;
        if (IsPacketPointer && Range > cur.Range)
            return false;
        return SameId(Id, cur.Id, idMap) && SameId(RefId, cur.RefId, idMap);
    }

    private static bool SameId(int old, int cur, Dictionary<int, int> idMap)
    {
        if (old == 0 || cur == 0)
            return old == cur;
        if (idMap.TryGetValue(old, out int mapped))
            return mapped == cur;
        idMap[old] = cur;
        return true;
    }
}
