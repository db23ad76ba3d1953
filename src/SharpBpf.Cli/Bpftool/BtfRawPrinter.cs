using SharpBpf.Btf;
using SharpBpf.Text;
using System.Runtime.CompilerServices;
using System.Globalization;

namespace SharpBpf.Cli.Bpftool;

/// <summary>
/// Prints BTF types one per line (members indented by a tab) as <c>bpftool btf dump ... format raw</c> does,
/// or as its JSON (<c>{"types":[...]}</c>). For split BTF only the spec's own types are printed.
/// </summary>
public static class BtfRawPrinter
{
    /// <summary>Writes every type of <paramref name="spec"/> in bpftool's raw text format.</summary>
    public static void Print(BtfSpec spec, TextWriter output)
    {
        var o = new Out(output);
        foreach (var id in spec.OwnIds())
            PrintType(spec, id, o);
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

    /// <summary>Text output without per-number string allocations.</summary>
    private sealed class Out(TextWriter o)
    {
        private readonly char[] _digits = new char[24];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Out S(string s)
        {
            o.Write(s);
            return this;
        }

        public Out N(ulong v)
        {
            v.TryFormat(_digits, out var n, default, CultureInfo.InvariantCulture);
            o.Write(_digits, 0, n);
            return this;
        }

        public Out N(long v)
        {
            v.TryFormat(_digits, out var n, default, CultureInfo.InvariantCulture);
            o.Write(_digits, 0, n);
            return this;
        }
    }

    private static void PrintType(BtfSpec spec, uint id, Out o)
    {
        var t = spec[id];
        o.S("[").N(id).S("] ").S(KindName(t.Kind)).S(" '").S(Label(t.Name, t.NameOffset)).S("'");
        switch (t)
        {
            case BtfInt i:
                o.S(" size=").N(i.Size).S(" bits_offset=").N(i.BitOffset).S(" nr_bits=").N(i.Bits).S(" encoding=").S(IntEncoding(i.Encoding));
                break;
            case BtfPtr p: o.S(" type_id=").N(p.Target); break;
            case BtfTypedef td: o.S(" type_id=").N(td.Type); break;
            case BtfModifier m: o.S(" type_id=").N(m.Type); break;
            case BtfArray a:
                o.S(" type_id=").N(a.ElementType).S(" index_type_id=").N(a.IndexType).S(" nr_elems=").N(a.Count);
                break;
            case BtfComposite c:
                o.S(" size=").N(c.Size).S(" vlen=").N((ulong)c.Members.Count);
                foreach (var m in c.Members)
                {
                    o.S("\n\t'").S(Label(m.Name, m.NameOffset)).S("' type_id=").N(m.Type).S(" bits_offset=").N(m.BitOffset);
                    if (m.BitfieldSize != 0)
                        o.S(" bitfield_size=").N(m.BitfieldSize);
                }
                break;
            case BtfEnumBase e:
                o.S(" encoding=").S(e.Signed ? "SIGNED" : "UNSIGNED").S(" size=").N(e.Size).S(" vlen=").N((ulong)e.Values.Count);
                var is64 = e is BtfEnum64;
                foreach (var v in e.Values)
                {
                    o.S("\n\t'").S(Label(v.Name, v.NameOffset)).S("' val=");
                    if (is64)
                    {
                        if (e.Signed)
                            o.N(v.Value).S("LL");
                        else
                            o.N((ulong)v.Value).S("ULL");
                    }
                    else if (e.Signed)
                    {
                        o.N((long)(int)v.Value);
                    }
                    else
                    {
                        o.N((ulong)(uint)v.Value);
                    }
                }
                break;
            case BtfFwd f: o.S(f.IsUnion ? " fwd_kind=union" : " fwd_kind=struct"); break;
            case BtfFunc f: o.S(" type_id=").N(f.Proto).S(" linkage=").S(Linkage(f.Linkage)); break;
            case BtfFuncProto fp:
                o.S(" ret_type_id=").N(fp.Return).S(" vlen=").N((ulong)fp.Params.Count);
                foreach (var p in fp.Params)
                    o.S("\n\t'").S(Label(p.Name, p.NameOffset)).S("' type_id=").N(p.Type);
                break;
            case BtfVar v: o.S(" type_id=").N(v.Type).S(", linkage=").S(Linkage(v.Linkage)); break;
            case BtfDatasec ds:
                o.S(" size=").N(ds.Size).S(" vlen=").N((ulong)ds.Vars.Count);
                foreach (var v in ds.Vars)
                {
                    o.S("\n\ttype_id=").N(v.Type).S(" offset=").N(v.Offset).S(" size=").N(v.Size);
                    if (v.Type < spec.Count)
                    {
                        var vt = spec[v.Type];
                        o.S(" (").S(KindName(vt.Kind)).S(" '").S(Label(vt.Name, vt.NameOffset)).S("')");
                    }
                }
                break;
            case BtfFloat f: o.S(" size=").N(f.Size); break;
            case BtfDeclTag d: o.S(" type_id=").N(d.Type).S(" component_idx=").N((long)d.ComponentIndex); break;
        }
        o.S("\n");
    }

    private static void WriteJson(BtfSpec spec, uint id, BpftoolJsonWriter w)
    {
        var t = spec[id];
        w.StartObject();
        w.Field("id", id);
        w.Field("kind", KindName(t.Kind));
        w.Field("name", Label(t.Name, t.NameOffset));
        switch (t)
        {
            case BtfInt i:
                w.Field("size", i.Size);
                w.Field("bits_offset", i.BitOffset);
                w.Field("nr_bits", i.Bits);
                w.Field("encoding", IntEncoding(i.Encoding));
                break;
            case BtfPtr p: w.Field("type_id", p.Target); break;
            case BtfTypedef td: w.Field("type_id", td.Type); break;
            case BtfModifier m: w.Field("type_id", m.Type); break;
            case BtfArray a:
                w.Field("type_id", a.ElementType);
                w.Field("index_type_id", a.IndexType);
                w.Field("nr_elems", a.Count);
                break;
            case BtfComposite c:
                w.Field("size", c.Size);
                w.Field("vlen", (uint)c.Members.Count);
                w.Name("members");
                w.StartArray();
                foreach (var m in c.Members)
                {
                    w.StartObject();
                    w.Field("name", Label(m.Name, m.NameOffset));
                    w.Field("type_id", m.Type);
                    w.Field("bits_offset", m.BitOffset);
                    if (m.BitfieldSize != 0)
                        w.Field("bitfield_size", m.BitfieldSize);
                    w.EndObject();
                }
                w.EndArray();
                break;
            case BtfEnumBase e:
                w.Field("encoding", e.Signed ? "SIGNED" : "UNSIGNED");
                w.Field("size", e.Size);
                w.Field("vlen", (uint)e.Values.Count);
                w.Name("values");
                w.StartArray();
                var is64 = e is BtfEnum64;
                foreach (var v in e.Values)
                {
                    w.StartObject();
                    w.Field("name", Label(v.Name, v.NameOffset));
                    if (e.Signed)
                        w.Field("val", is64 ? v.Value : (int)v.Value);
                    else // bpftool widens the s32 btf_enum.val with sign extension: keep that quirk
                        w.Field("val", is64 ? (ulong)v.Value : (ulong)(long)(int)v.Value);
                    w.EndObject();
                }
                w.EndArray();
                break;
            case BtfFwd f: w.Field("fwd_kind", f.IsUnion ? "union" : "struct"); break;
            case BtfFunc f:
                w.Field("type_id", f.Proto);
                w.Field("linkage", Linkage(f.Linkage));
                break;
            case BtfFuncProto fp:
                w.Field("ret_type_id", fp.Return);
                w.Field("vlen", (uint)fp.Params.Count);
                w.Name("params");
                w.StartArray();
                foreach (var p in fp.Params)
                {
                    w.StartObject();
                    w.Field("name", Label(p.Name, p.NameOffset));
                    w.Field("type_id", p.Type);
                    w.EndObject();
                }
                w.EndArray();
                break;
            case BtfVar v:
                w.Field("type_id", v.Type);
                w.Field("linkage", Linkage(v.Linkage));
                break;
            case BtfDatasec ds:
                w.Field("size", ds.Size);
                w.Field("vlen", (uint)ds.Vars.Count);
                w.Name("vars");
                w.StartArray();
                foreach (var v in ds.Vars)
                {
                    w.StartObject();
                    w.Field("type_id", v.Type);
                    w.Field("offset", v.Offset);
                    w.Field("size", v.Size);
                    w.EndObject();
                }
                w.EndArray();
                break;
            case BtfFloat f: w.Field("size", f.Size); break;
            case BtfDeclTag d:
                w.Field("type_id", d.Type);
                w.Field("component_idx", d.ComponentIndex);
                break;
        }
        w.EndObject();
    }
}
