using System.Buffers.Binary;
using System.Text;

namespace SharpBpf.Btf;

/// <summary>
/// Serializes a <see cref="BtfSpec"/> to raw BTF. Strings read from a blob keep their offsets (the original
/// string table is reused as is), so parse → write is byte-identical; new names are appended, deduplicated.
/// </summary>
internal sealed class BtfWriter
{
    private readonly BtfSpec _spec;
    private readonly bool _be;
    private readonly MemoryStream _strings = new();
    private Dictionary<string, uint>? _known;
    private byte[] _buf = new byte[1 << 16];
    private int _len;

    private BtfWriter(BtfSpec spec, bool bigEndian)
    {
        _spec = spec;
        _be = bigEndian;
        var own = spec.Strings.Bytes;
        _strings.Write(own.Length > 0 ? own : [0]);
    }

    public static byte[] Write(BtfSpec spec, bool bigEndian) => new BtfWriter(spec, bigEndian).Run();

    private byte[] Run()
    {
        foreach (var type in _spec.OwnTypes())
        {
            if (type is not BtfVoid) // void (id 0) is implicit
                WriteType(type);
        }
        var strLen = (int)_strings.Length;
        var result = new byte[BtfSpec.HeaderSize + _len + strLen];
        var header = result.AsSpan();
        WriteU16(header, BtfSpec.Magic);
        header[2] = _spec.Version;
        header[3] = _spec.Flags;
        WriteU32(header[4..], BtfSpec.HeaderSize);
        WriteU32(header[8..], 0);
        WriteU32(header[12..], (uint)_len);
        WriteU32(header[16..], (uint)_len);
        WriteU32(header[20..], (uint)strLen);
        _buf.AsSpan(0, _len).CopyTo(result.AsSpan(BtfSpec.HeaderSize));
        _strings.GetBuffer().AsSpan(0, strLen).CopyTo(result.AsSpan(BtfSpec.HeaderSize + _len));
        return result;
    }

    private void WriteU16(Span<byte> s, ushort v)
    {
        if (_be) BinaryPrimitives.WriteUInt16BigEndian(s, v);
        else BinaryPrimitives.WriteUInt16LittleEndian(s, v);
    }

    private void WriteU32(Span<byte> s, uint v)
    {
        if (_be) BinaryPrimitives.WriteUInt32BigEndian(s, v);
        else BinaryPrimitives.WriteUInt32LittleEndian(s, v);
    }

    private void U32(uint v)
    {
        if (_len + 4 > _buf.Length)
            Array.Resize(ref _buf, _buf.Length * 2);
        WriteU32(_buf.AsSpan(_len), v);
        _len += 4;
    }

    /// <summary>The string offset for <paramref name="name"/>: the hint when it still holds that name, else a known or new entry.</summary>
    private uint Str(string name, uint hint)
    {
        if (name.Length == 0 && (hint == uint.MaxValue || !_spec.Strings.Matches(hint, "")))
            return 0;
        if (_spec.Strings.Matches(hint, name))
            return hint;
        if (_spec.Strings.TryFind(name, out var off))
            return off;
        _known ??= new Dictionary<string, uint>();
        if (_known.TryGetValue(name, out off))
            return off;
        off = _spec.Strings.BaseLength + (uint)_strings.Length;
        _strings.Write(Encoding.UTF8.GetBytes(name));
        _strings.WriteByte(0);
        _known[name] = off;
        return off;
    }

    private void Head(BtfType t, BtfKind kind, int vlen, bool kindFlag, uint sizeOrType)
    {
        if ((uint)vlen > 0xffff)
            throw new BpfException($"BTF {kind} '{t.Name}' has {vlen} members/values; BTF allows at most 65535");
        U32(Str(t.Name, t.NameOffset));
        U32(((uint)kind << 24) | (uint)vlen | (kindFlag ? 1u << 31 : 0));
        U32(sizeOrType);
    }

    private void WriteType(BtfType type)
    {
        switch (type)
        {
            case BtfInt t:
                Head(t, BtfKind.Int, 0, false, t.Size);
                U32(((uint)t.Encoding << 24) | ((uint)t.BitOffset << 16) | t.Bits);
                break;
            case BtfPtr t: Head(t, BtfKind.Ptr, 0, false, t.Target); break;
            case BtfArray t:
                Head(t, BtfKind.Array, 0, false, 0);
                U32(t.ElementType);
                U32(t.IndexType);
                U32(t.Count);
                break;
            case BtfComposite t:
                Head(t, t.Kind, t.Members.Count, t.HasBitfieldSizes, t.Size);
                foreach (var m in t.Members)
                {
                    U32(Str(m.Name, m.NameOffset));
                    U32(m.Type);
                    if (t.HasBitfieldSizes)
                    {
                        if (m.BitOffset > 0xffffff || m.BitfieldSize > 0xff)
                            throw new BpfException($"BTF {t.Kind} '{t.Name}' member '{m.Name}': bit offset {m.BitOffset} / bitfield size {m.BitfieldSize} do not fit BTF's 24/8 bits");
                        U32((m.BitfieldSize << 24) | m.BitOffset);
                    }
                    else
                    {
                        if (m.BitfieldSize != 0)
                            throw new BpfException($"BTF {t.Kind} '{t.Name}' member '{m.Name}' is a bitfield but the type does not set HasBitfieldSizes");
                        U32(m.BitOffset);
                    }
                }
                break;
            case BtfEnum t:
                Head(t, BtfKind.Enum, t.Values.Count, t.Signed, t.Size);
                foreach (var v in t.Values)
                {
                    U32(Str(v.Name, v.NameOffset));
                    U32((uint)v.Value);
                }
                break;
            case BtfEnum64 t:
                Head(t, BtfKind.Enum64, t.Values.Count, t.Signed, t.Size);
                foreach (var v in t.Values)
                {
                    U32(Str(v.Name, v.NameOffset));
                    U32((uint)v.Value);
                    U32((uint)((ulong)v.Value >> 32));
                }
                break;
            case BtfFwd t: Head(t, BtfKind.Fwd, 0, t.IsUnion, 0); break;
            case BtfTypedef t: Head(t, BtfKind.Typedef, 0, false, t.Type); break;
            case BtfTypeTag t: Head(t, BtfKind.TypeTag, 0, t.KindFlag, t.Type); break;
            case BtfModifier t: Head(t, t.Kind, 0, false, t.Type); break;
            case BtfFunc t: Head(t, BtfKind.Func, (int)t.Linkage, false, t.Proto); break;
            case BtfFuncProto t:
                Head(t, BtfKind.FuncProto, t.Params.Count, false, t.Return);
                foreach (var p in t.Params)
                {
                    U32(Str(p.Name, p.NameOffset));
                    U32(p.Type);
                }
                break;
            case BtfVar t:
                Head(t, BtfKind.Var, 0, false, t.Type);
                U32((uint)t.Linkage);
                break;
            case BtfDatasec t:
                Head(t, BtfKind.Datasec, t.Vars.Count, false, t.Size);
                foreach (var v in t.Vars)
                {
                    U32(v.Type);
                    U32(v.Offset);
                    U32(v.Size);
                }
                break;
            case BtfFloat t: Head(t, BtfKind.Float, 0, false, t.Size); break;
            case BtfDeclTag t:
                Head(t, BtfKind.DeclTag, 0, t.KindFlag, t.Type);
                U32((uint)t.ComponentIndex);
                break;
            case BtfVoid:
                throw new BpfException("BTF void (id 0) cannot appear as a type of its own");
            default:
                throw new BpfException($"cannot write BTF type {type.GetType().Name}");
        }
    }
}
