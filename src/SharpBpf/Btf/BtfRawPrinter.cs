using System.Runtime.CompilerServices;
using System.Globalization;

namespace SharpBpf.Btf;

/// <summary>
/// Prints BTF types one per line (members indented by a tab) as <c>bpftool btf dump ... format raw</c> does,
/// or as its JSON (<c>{"types":[...]}</c>). For split BTF only the spec's own types are printed.
/// </summary>
public static class BtfRawPrinter
{
    /// <summary>Writes every type of <paramref name="spec"/> in bpftool's raw text format.</summary>
    public static void Print(BtfSpec spec, TextWriter output)
    {
        foreach (var id in spec.OwnIds())
            PrintType(spec, id, output);
    }

    /// <summary>Writes bpftool's JSON for <c>btf dump</c> (<paramref name="pretty"/>: the <c>-p</c> layout, else <c>-j</c>).</summary>
    public static void PrintJson(BtfSpec spec, TextWriter output, bool pretty = false)
    {
        var w = new BpftoolJsonWriter(output, pretty);
        w.StartObject();
        w.Name("types");
        w.StartArray();
        foreach (var id in spec.OwnIds())
            WriteJson(spec, id, w);
        w.EndArray();
        w.EndObject();
        w.Finish();
    }

    /// <summary>bpftool's upper-case name of a kind (<c>FUNC_PROTO</c>, <c>DECL_TAG</c>...).</summary>
    public static string KindName(BtfKind kind) => kind switch
    {
        BtfKind.Void => "UNKNOWN",
        BtfKind.Int => "INT",
        BtfKind.Ptr => "PTR",
        BtfKind.Array => "ARRAY",
        BtfKind.Struct => "STRUCT",
        BtfKind.Union => "UNION",
        BtfKind.Enum => "ENUM",
        BtfKind.Fwd => "FWD",
        BtfKind.Typedef => "TYPEDEF",
        BtfKind.Volatile => "VOLATILE",
        BtfKind.Const => "CONST",
        BtfKind.Restrict => "RESTRICT",
        BtfKind.Func => "FUNC",
        BtfKind.FuncProto => "FUNC_PROTO",
        BtfKind.Var => "VAR",
        BtfKind.Datasec => "DATASEC",
        BtfKind.Float => "FLOAT",
        BtfKind.DeclTag => "DECL_TAG",
        BtfKind.TypeTag => "TYPE_TAG",
        BtfKind.Enum64 => "ENUM64",
        _ => "UNKNOWN",
    };

    private static string Label(string name, uint nameOffset) =>
        name.Length == 0 && (nameOffset == 0 || nameOffset == uint.MaxValue) ? "(anon)" : name;

    private static string IntEncoding(BtfIntEncoding e) => e switch
    {
        BtfIntEncoding.None => "(none)",
        BtfIntEncoding.Signed => "SIGNED",
        BtfIntEncoding.Char => "CHAR",
        BtfIntEncoding.Bool => "BOOL",
        _ => "UNKN",
    };

    private static string Linkage(BtfFuncLinkage l) => l switch
    {
        BtfFuncLinkage.Static => "static",
        BtfFuncLinkage.Global => "global",
        BtfFuncLinkage.Extern => "extern",
        _ => "(unknown)",
    };

    private static string Linkage(BtfVarLinkage l) => l switch
    {
        BtfVarLinkage.Static => "static",
        BtfVarLinkage.GlobalAllocated => "global",
        BtfVarLinkage.GlobalExtern => "extern",
        _ => "(unknown)",
    };

    private static string U(ulong v) => v.ToString(CultureInfo.InvariantCulture);
    private static string S(long v) => v.ToString(CultureInfo.InvariantCulture);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PrintType(BtfSpec spec, uint id, TextWriter o)
    {
        var t = spec[id];
        o.Write('[');
        o.Write(U(id));
        o.Write("] ");
        o.Write(KindName(t.Kind));
        o.Write(" '");
        o.Write(Label(t.Name, t.NameOffset));
        o.Write('\'');
        switch (t)
        {
            case BtfInt i:
                o.Write($" size={U(i.Size)} bits_offset={U(i.BitOffset)} nr_bits={U(i.Bits)} encoding={IntEncoding(i.Encoding)}");
                break;
            case BtfPtr p: o.Write(" type_id="); o.Write(U(p.Target)); break;
            case BtfTypedef td: o.Write(" type_id="); o.Write(U(td.Type)); break;
            case BtfModifier m: o.Write(" type_id="); o.Write(U(m.Type)); break;
            case BtfArray a:
                o.Write($" type_id={U(a.ElementType)} index_type_id={U(a.IndexType)} nr_elems={U(a.Count)}");
                break;
            case BtfComposite c:
                o.Write($" size={U(c.Size)} vlen={U((uint)c.Members.Count)}");
                foreach (var m in c.Members)
                {
                    o.Write("\n\t'");
                    o.Write(Label(m.Name, m.NameOffset));
                    o.Write("' type_id=");
                    o.Write(U(m.Type));
                    o.Write(" bits_offset=");
                    o.Write(U(m.BitOffset));
                    if (m.BitfieldSize != 0)
                    {
                        o.Write(" bitfield_size=");
                        o.Write(U(m.BitfieldSize));
                    }
                }
                break;
            case BtfEnum e:
                o.Write($" encoding={(e.Signed ? "SIGNED" : "UNSIGNED")} size={U(e.Size)} vlen={U((uint)e.Values.Count)}");
                foreach (var v in e.Values)
                {
                    o.Write("\n\t'");
                    o.Write(Label(v.Name, v.NameOffset));
                    o.Write("' val=");
                    o.Write(e.Signed ? S((int)v.Value) : U((uint)v.Value));
                }
                break;
            case BtfEnum64 e:
                o.Write($" encoding={(e.Signed ? "SIGNED" : "UNSIGNED")} size={U(e.Size)} vlen={U((uint)e.Values.Count)}");
                foreach (var v in e.Values)
                {
                    o.Write("\n\t'");
                    o.Write(Label(v.Name, v.NameOffset));
                    o.Write("' val=");
                    o.Write(e.Signed ? S(v.Value) + "LL" : U((ulong)v.Value) + "ULL");
                }
                break;
            case BtfFwd f: o.Write(f.IsUnion ? " fwd_kind=union" : " fwd_kind=struct"); break;
            case BtfFunc f: o.Write($" type_id={U(f.Proto)} linkage={Linkage(f.Linkage)}"); break;
            case BtfFuncProto fp:
                o.Write($" ret_type_id={U(fp.Return)} vlen={U((uint)fp.Params.Count)}");
                foreach (var p in fp.Params)
                {
                    o.Write("\n\t'");
                    o.Write(Label(p.Name, p.NameOffset));
                    o.Write("' type_id=");
                    o.Write(U(p.Type));
                }
                break;
            case BtfVar v: o.Write($" type_id={U(v.Type)}, linkage={Linkage(v.Linkage)}"); break;
            case BtfDatasec ds:
                o.Write($" size={U(ds.Size)} vlen={U((uint)ds.Vars.Count)}");
                foreach (var v in ds.Vars)
                {
                    o.Write($"\n\ttype_id={U(v.Type)} offset={U(v.Offset)} size={U(v.Size)}");
                    if (v.Type < spec.Count)
                    {
                        var vt = spec[v.Type];
                        o.Write($" ({KindName(vt.Kind)} '{Label(vt.Name, vt.NameOffset)}')");
                    }
                }
                break;
            case BtfFloat f: o.Write(" size="); o.Write(U(f.Size)); break;
            case BtfDeclTag d: o.Write($" type_id={U(d.Type)} component_idx={S(d.ComponentIndex)}"); break;
        }
        o.Write('\n');
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteJson(BtfSpec spec, uint id, BpftoolJsonWriter w)
    {
        var t = spec[id];
        w.StartObject();
        w.UInt("id", id);
        w.String("kind", KindName(t.Kind));
        w.String("name", Label(t.Name, t.NameOffset));
        switch (t)
        {
            case BtfInt i:
                w.UInt("size", i.Size);
                w.UInt("bits_offset", i.BitOffset);
                w.UInt("nr_bits", i.Bits);
                w.String("encoding", IntEncoding(i.Encoding));
                break;
            case BtfPtr p: w.UInt("type_id", p.Target); break;
            case BtfTypedef td: w.UInt("type_id", td.Type); break;
            case BtfModifier m: w.UInt("type_id", m.Type); break;
            case BtfArray a:
                w.UInt("type_id", a.ElementType);
                w.UInt("index_type_id", a.IndexType);
                w.UInt("nr_elems", a.Count);
                break;
            case BtfComposite c:
                w.UInt("size", c.Size);
                w.UInt("vlen", (uint)c.Members.Count);
                w.Name("members");
                w.StartArray();
                foreach (var m in c.Members)
                {
                    w.StartObject();
                    w.String("name", Label(m.Name, m.NameOffset));
                    w.UInt("type_id", m.Type);
                    w.UInt("bits_offset", m.BitOffset);
                    if (m.BitfieldSize != 0)
                        w.UInt("bitfield_size", m.BitfieldSize);
                    w.EndObject();
                }
                w.EndArray();
                break;
            case BtfEnumBase e:
                w.String("encoding", e.Signed ? "SIGNED" : "UNSIGNED");
                w.UInt("size", e.Size);
                w.UInt("vlen", (uint)e.Values.Count);
                w.Name("values");
                w.StartArray();
                var is64 = e is BtfEnum64;
                foreach (var v in e.Values)
                {
                    w.StartObject();
                    w.String("name", Label(v.Name, v.NameOffset));
                    if (e.Signed)
                        w.Int("val", is64 ? v.Value : (int)v.Value);
                    else // bpftool widens the s32 btf_enum.val with sign extension: keep that quirk
                        w.UInt("val", is64 ? (ulong)v.Value : (ulong)(long)(int)v.Value);
                    w.EndObject();
                }
                w.EndArray();
                break;
            case BtfFwd f: w.String("fwd_kind", f.IsUnion ? "union" : "struct"); break;
            case BtfFunc f:
                w.UInt("type_id", f.Proto);
                w.String("linkage", Linkage(f.Linkage));
                break;
            case BtfFuncProto fp:
                w.UInt("ret_type_id", fp.Return);
                w.UInt("vlen", (uint)fp.Params.Count);
                w.Name("params");
                w.StartArray();
                foreach (var p in fp.Params)
                {
                    w.StartObject();
                    w.String("name", Label(p.Name, p.NameOffset));
                    w.UInt("type_id", p.Type);
                    w.EndObject();
                }
                w.EndArray();
                break;
            case BtfVar v:
                w.UInt("type_id", v.Type);
                w.String("linkage", Linkage(v.Linkage));
                break;
            case BtfDatasec ds:
                w.UInt("size", ds.Size);
                w.UInt("vlen", (uint)ds.Vars.Count);
                w.Name("vars");
                w.StartArray();
                foreach (var v in ds.Vars)
                {
                    w.StartObject();
                    w.UInt("type_id", v.Type);
                    w.UInt("offset", v.Offset);
                    w.UInt("size", v.Size);
                    w.EndObject();
                }
                w.EndArray();
                break;
            case BtfFloat f: w.UInt("size", f.Size); break;
            case BtfDeclTag d:
                w.UInt("type_id", d.Type);
                w.Int("component_idx", d.ComponentIndex);
                break;
        }
        w.EndObject();
    }
}
