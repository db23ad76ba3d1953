using System.Runtime.CompilerServices;
namespace SharpBpf.Btf;

/// <summary>Size and alignment of BTF types the way libbpf computes them (btf__resolve_size, btf__align_of).</summary>
internal sealed class BtfLayout
{
    private readonly BtfSpec _spec;
    private readonly int[] _alignPlusOne; // memoized AlignOf + 1; 0 = not computed yet

    public BtfLayout(BtfSpec spec)
    {
        _spec = spec;
        _alignPlusOne = new int[spec.Count];
        PointerSize = GuessPointerSize(spec);
    }

    /// <summary>8 or 4: the size of a "long" integer in the BTF, else 8.</summary>
    public int PointerSize { get; }

    private static int GuessPointerSize(BtfSpec spec)
    {
        for (uint id = 1; id < spec.Count; id++)
        {
            if (spec[id] is BtfInt i && (i.Size == 4 || i.Size == 8) && i.Name is "long int" or "long unsigned int" or "unsigned long" or "long" or "unsigned long int" or "long signed int")
                return (int)i.Size;
        }
        return 8;
    }

    /// <summary>Byte size, or -1 when the type has none (void, functions, forward declarations).</summary>
    public long ResolveSize(uint id)
    {
        long count = 1;
        for (var depth = 0; depth < 32 && id != 0; depth++)
        {
            switch (_spec[id])
            {
                case BtfInt t: return count * t.Size;
                case BtfComposite t: return count * t.Size;
                case BtfEnumBase t: return count * t.Size;
                case BtfDatasec t: return count * t.Size;
                case BtfFloat t: return count * t.Size;
                case BtfPtr: return count * PointerSize;
                case BtfTypedef t: id = t.Type; break;
                case BtfModifier t: id = t.Type; break;
                case BtfVar t: id = t.Type; break;
                case BtfDeclTag t: id = t.Type; break;
                case BtfArray a:
                    if (count != 0 && a.Count > uint.MaxValue / count)
                        return -1;
                    count *= a.Count;
                    id = a.ElementType;
                    break;
                default: return -1;
            }
        }
        return -1;
    }

    /// <summary>Alignment in bytes; 0 when unknown. A struct whose layout proves it packed aligns to 1.</summary>
    public int AlignOf(uint id)
    {
        var cached = _alignPlusOne[id];
        if (cached != 0)
            return cached - 1;
        _alignPlusOne[id] = 1; // "0" while computing: a struct that contains itself must not recurse forever
        var align = ComputeAlign(id);
        _alignPlusOne[id] = align + 1;
        return align;
    }

    private int ComputeAlign(uint id)
    {
        for (var depth = 0; depth < 64; depth++)
        {
            var t = _spec[id];
            switch (t)
            {
                case BtfInt i: return (int)Math.Min(PointerSize, i.Size);
                case BtfEnumBase e: return (int)Math.Min(PointerSize, e.Size);
                case BtfFloat f: return (int)Math.Min(PointerSize, f.Size);
                case BtfPtr: return PointerSize;
                case BtfTypedef td: id = td.Type; break;
                case BtfModifier m: id = m.Type; break;
                case BtfArray a: id = a.ElementType; break;
                case BtfComposite c:
                {
                    var maxAlign = 1;
                    foreach (var m in c.Members)
                    {
                        var align = AlignOf(m.Type);
                        if (align <= 0)
                            return 0;
                        maxAlign = Math.Max(maxAlign, align);
                        if (m.BitfieldSize == 0 && m.BitOffset % (8 * align) != 0)
                            return 1;
                    }
                    return c.Size % maxAlign != 0 ? 1 : maxAlign;
                }
                default: return 0;
            }
        }
        return 0;
    }
}
