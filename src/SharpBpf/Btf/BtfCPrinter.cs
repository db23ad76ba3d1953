using System.Runtime.CompilerServices;
using System.Globalization;

namespace SharpBpf.Btf;

/// <summary>
/// Prints BTF as compilable C declarations, the way <c>bpftool btf dump ... format c</c> writes a vmlinux.h:
/// types topologically ordered so that embedded types come first, forward declarations where a pointer
/// suffices, anonymous types inlined, duplicate names suffixed <c>___N</c>, bitfields and explicit padding,
/// <c>__attribute__((packed))</c> where the layout needs it.
/// </summary>
public sealed class BtfCPrinter
{
    private const string Tabs = "\t\t\t\t\t\t\t\t\t\t\t\t\t";

    private enum Order : byte { NotOrdered, Ordering, Ordered }
    private enum Emit : byte { NotEmitted, Emitting, Emitted }

    private readonly BtfSpec _spec;
    private readonly TextWriter _out;
    private readonly BtfLayout _layout;
    private readonly Order[] _order;
    private readonly Emit[] _emit;
    private readonly bool[] _fwdEmitted;
    private readonly bool[] _nameResolved;
    private readonly bool[] _referenced;
    private readonly string?[] _cachedNames;
    private readonly Dictionary<string, int> _typeNames = new();
    private readonly Dictionary<string, int> _identNames = new();
    private readonly List<uint> _emitQueue = new();
    private readonly List<uint> _declStack = new();

    private BtfCPrinter(BtfSpec spec, TextWriter output)
    {
        _spec = spec;
        _out = output;
        _layout = new BtfLayout(spec);
        var n = spec.Count;
        _order = new Order[n];
        _emit = new Emit[n];
        _fwdEmitted = new bool[n];
        _nameResolved = new bool[n];
        _referenced = new bool[n];
        _cachedNames = new string?[n];
        _order[0] = Order.Ordered;
        _emit[0] = Emit.Emitted;
        for (uint id = 1; id < n; id++)
        {
            // Functions, variables and most of the kinds with one reference need not be decoded at all.
            if (spec.SingleReferenceOf(id) is { } target)
                _referenced[target] = true;
            else
                MarkReferenced(spec[id]);
        }
    }

    /// <summary>Writes the whole spec as bpftool's vmlinux.h: header guard, preserve_access_index pragma block, every type.</summary>
    public static void PrintHeader(BtfSpec spec, TextWriter output)
    {
        output.Write("#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n");
        output.Write("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n");
        output.Write("#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n");
        output.Write("#endif\n\n");
        PrintTypes(spec, output);
        output.Write("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n");
        output.Write("#endif /* __VMLINUX_H__ */\n");
    }

    /// <summary>Writes C definitions of every type (ids 1..Count-1, base types included for split BTF), without the header lines.</summary>
    public static void PrintTypes(BtfSpec spec, TextWriter output)
    {
        var printer = new BtfCPrinter(spec, output);
        for (uint id = 1; id < spec.Count; id++)
            printer.DumpType(id);
    }

    /// <summary>Writes C definitions of <paramref name="ids"/> and what they depend on, each type once.</summary>
    public static void PrintTypes(BtfSpec spec, IEnumerable<uint> ids, TextWriter output)
    {
        var printer = new BtfCPrinter(spec, output);
        foreach (var id in ids)
            printer.DumpType(id);
    }

    /// <summary>The list as a span: the parser's lists are arrays, so this avoids an interface call per element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<T> Items<T>(IReadOnlyList<T> list) => list as T[] ?? list.ToArray();

    private void MarkReferenced(BtfType t)
    {
        switch (t)
        {
            case BtfPtr p: _referenced[p.Target] = true; break;
            case BtfTypedef td: _referenced[td.Type] = true; break;
            case BtfModifier m: _referenced[m.Type] = true; break;
            case BtfFunc f: _referenced[f.Proto] = true; break;
            case BtfVar v: _referenced[v.Type] = true; break;
            case BtfDeclTag d: _referenced[d.Type] = true; break;
            case BtfArray a:
                _referenced[a.IndexType] = true;
                _referenced[a.ElementType] = true;
                break;
            case BtfComposite c:
                foreach (var m in Items(c.Members))
                    _referenced[m.Type] = true;
                break;
            case BtfFuncProto fp:
                foreach (var p in Items(fp.Params))
                    _referenced[p.Type] = true;
                break;
            case BtfDatasec ds:
                foreach (var v in Items(ds.Vars))
                    _referenced[v.Type] = true;
                break;
        }
    }

    private void DumpType(uint id)
    {
        if (_spec.KindOf(id) is BtfKind.Func or BtfKind.Var or BtfKind.Datasec or BtfKind.DeclTag)
        {
            _order[id] = Order.Ordered; // never emitted
            return;
        }
        _emitQueue.Clear();
        if (OrderType(id, false) < 0)
            return;
        foreach (var q in _emitQueue)
            EmitType(q, 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsNamed(BtfType t) => t.Name.Length != 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Write(string s) => _out.Write(s);

    private static readonly string[] Indents = Enumerable.Range(0, Tabs.Length + 1).Select(n => Tabs[..n]).ToArray();
    private readonly char[] _number = new char[24];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static string Indent(int level) => level >= Tabs.Length ? Tabs : Indents[level];

    private void WriteNumber(long value)
    {
        value.TryFormat(_number, out var n, default, CultureInfo.InvariantCulture);
        _out.Write(_number, 0, n);
    }

    private void WriteNumber(ulong value)
    {
        value.TryFormat(_number, out var n, default, CultureInfo.InvariantCulture);
        _out.Write(_number, 0, n);
    }

    // ---- ordering -------------------------------------------------------------------------------------

    /// <summary>1: strong link (must be fully defined first), 0: weak (a forward declaration will do), -1: unsatisfiable loop.</summary>
    private int OrderType(uint id, bool throughPtr)
    {
        if (_order[id] == Order.Ordered)
            return 1;
        var t = _spec[id];
        if (_order[id] == Order.Ordering)
        {
            if (t is BtfComposite && throughPtr && IsNamed(t))
                return 0;
            return -1;
        }

        switch (t)
        {
            case BtfInt or BtfFloat:
                _order[id] = Order.Ordered;
                return 0;
            case BtfPtr p:
            {
                var err = OrderType(p.Target, true);
                _order[id] = Order.Ordered;
                return err;
            }
            case BtfArray a:
                return OrderType(a.ElementType, false);
            case BtfComposite c:
            {
                if (throughPtr && IsNamed(t))
                    return 0;
                _order[id] = Order.Ordering;
                foreach (var m in Items(c.Members))
                {
                    var err = OrderType(m.Type, false);
                    if (err < 0)
                        return err;
                }
                if (IsNamed(t))
                    _emitQueue.Add(id);
                _order[id] = Order.Ordered;
                return 1;
            }
            case BtfEnumBase or BtfFwd:
                if (IsNamed(t) || !_referenced[id])
                    _emitQueue.Add(id);
                _order[id] = Order.Ordered;
                return 1;
            case BtfTypedef td:
            {
                var isStrong = OrderType(td.Type, throughPtr);
                if (isStrong < 0)
                    return isStrong;
                if (throughPtr && isStrong == 0)
                    return 0;
                _emitQueue.Add(id);
                _order[id] = Order.Ordered;
                return 1;
            }
            case BtfModifier m:
                return OrderType(m.Type, throughPtr);
            case BtfFuncProto fp:
            {
                var err = OrderType(fp.Return, throughPtr);
                if (err < 0)
                    return err;
                var strong = err > 0;
                foreach (var p in Items(fp.Params))
                {
                    err = OrderType(p.Type, throughPtr);
                    if (err < 0)
                        return err;
                    if (err > 0)
                        strong = true;
                }
                return strong ? 1 : 0;
            }
            case BtfFunc or BtfVar or BtfDatasec or BtfDeclTag:
                _order[id] = Order.Ordered;
                return 0;
            default:
                return -1;
        }
    }

    // ---- emitting -------------------------------------------------------------------------------------

    private bool IsBlacklisted(uint id) => _spec[id].Name == "__builtin_va_list";

    private void EmitType(uint id, uint containerId)
    {
        if (_emit[id] == Emit.Emitted)
            return;
        var t = _spec[id];
        var topLevel = containerId == 0;

        if (_emit[id] == Emit.Emitting)
        {
            if (_fwdEmitted[id])
                return;
            switch (t)
            {
                case BtfComposite:
                    if (id == containerId)
                        return;
                    if (!IsNamed(t))
                        return; // anonymous struct/union loop: nothing sensible to print
                    EmitStructFwd(id, t);
                    Write(";\n\n");
                    _fwdEmitted[id] = true;
                    break;
                case BtfTypedef td:
                    if (!IsBlacklisted(id))
                    {
                        EmitTypedefDef(id, td, 0);
                        Write(";\n\n");
                    }
                    _fwdEmitted[id] = true;
                    break;
            }
            return;
        }

        switch (t)
        {
            case BtfInt:
                EmitMissingAliases(id);
                _emit[id] = Emit.Emitted;
                break;
            case BtfEnumBase e:
                if (topLevel)
                {
                    EmitEnumDef(id, e, 0);
                    Write(";\n\n");
                }
                _emit[id] = Emit.Emitted;
                break;
            case BtfPtr p:
                EmitType(p.Target, containerId);
                break;
            case BtfModifier m:
                EmitType(m.Type, containerId);
                break;
            case BtfArray a:
                EmitType(a.ElementType, containerId);
                break;
            case BtfFwd f:
                EmitFwdDef(id, f);
                Write(";\n\n");
                _emit[id] = Emit.Emitted;
                break;
            case BtfTypedef td:
                _emit[id] = Emit.Emitting;
                EmitType(td.Type, id);
                if (!_fwdEmitted[id] && !IsBlacklisted(id))
                {
                    EmitTypedefDef(id, td, 0);
                    Write(";\n\n");
                }
                _emit[id] = Emit.Emitted;
                break;
            case BtfComposite c:
                _emit[id] = Emit.Emitting;
                if (topLevel || !IsNamed(t))
                {
                    var newContainer = IsNamed(t) ? id : containerId;
                    foreach (var m in Items(c.Members))
                        EmitType(m.Type, newContainer);
                }
                else if (!_fwdEmitted[id] && id != containerId)
                {
                    EmitStructFwd(id, t);
                    Write(";\n\n");
                    _fwdEmitted[id] = true;
                }
                if (topLevel)
                {
                    EmitStructDef(id, c, 0);
                    Write(";\n\n");
                    _emit[id] = Emit.Emitted;
                }
                else
                {
                    _emit[id] = Emit.NotEmitted;
                }
                break;
            case BtfFuncProto fp:
                EmitType(fp.Return, containerId);
                foreach (var p in Items(fp.Params))
                    EmitType(p.Type, containerId);
                break;
        }
    }

    private bool IsStructPacked(BtfComposite t)
    {
        var maxAlign = 1;
        foreach (var m in Items(t.Members))
        {
            var align = _layout.AlignOf(m.Type);
            if (align != 0 && m.BitfieldSize == 0 && m.BitOffset % (8 * align) != 0)
                return true;
            maxAlign = Math.Max(align, maxAlign);
        }
        return t.Size % maxAlign != 0;
    }

    private void EmitBitPadding(int curOff, int nextOff, int nextAlign, bool inBitfield, int level)
    {
        if (curOff >= nextOff)
            return;
        Span<(string Name, int Bits)> pads = [("long", _layout.PointerSize * 8), ("int", 32), ("short", 16), ("char", 8)];
        int newOff = 0, padBits = 0;
        string padType = "";
        for (var i = 0; i < pads.Length; i++)
        {
            padBits = pads[i].Bits;
            padType = pads[i].Name;
            newOff = RoundUp(curOff, padBits);
            if (newOff <= nextOff)
                break;
        }
        if (newOff > curOff && newOff <= nextOff)
        {
            if (inBitfield
                || (newOff == nextOff && RoundUp(curOff, nextAlign * 8) != newOff)
                || (newOff != nextOff && nextOff - newOff <= newOff - curOff))
                PadLine(level, padType, inBitfield ? newOff - curOff : 0);
            curOff = newOff;
        }
        while (curOff != nextOff)
        {
            var bits = Math.Min(nextOff - curOff, padBits);
            if (bits == padBits)
            {
                PadLine(level, padType, padBits);
                curOff += bits;
                continue;
            }
            for (var i = pads.Length - 1; i >= 0; i--)
            {
                padType = pads[i].Name;
                padBits = pads[i].Bits;
                if (padBits < bits)
                    continue;
                PadLine(level, padType, bits);
                curOff += bits;
                break;
            }
        }
    }

    private static int RoundUp(int x, int y) => y == 0 ? x : (x + y - 1) / y * y;

    private void PadLine(int level, string type, int bits)
    {
        Write("\n");
        Write(Indent(level));
        Write(type);
        Write(": ");
        WriteNumber(bits);
        Write(";");
    }

    private void EmitStructFwd(uint id, BtfType t)
    {
        Write(t is BtfStruct ? "struct" : "union");
        if (IsNamed(t))
            Write(" ");
        Write(TypeName(id));
    }

    private void EmitStructDef(uint id, BtfComposite t, int level)
    {
        var isStruct = t is BtfStruct;
        var align = _layout.AlignOf(id);
        var packed = isStruct && IsStructPacked(t);
        Write(isStruct ? "struct" : "union");
        if (IsNamed(t))
            Write(" ");
        Write(TypeName(id));
        Write(" {");

        var off = 0;
        var prevBitfield = false;
        foreach (var m in Items(t.Members))
        {
            var size = (int)m.BitfieldSize;
            var mOff = (int)m.BitOffset;
            var mAlign = packed ? 1 : _layout.AlignOf(m.Type);
            var inBitfield = prevBitfield && size != 0;
            EmitBitPadding(off, mOff, mAlign, inBitfield, level + 1);
            Write("\n");
            Write(Indent(level + 1));
            EmitTypeDecl(m.Type, m.Name, level + 1);
            if (size != 0)
            {
                Write(": ");
                WriteNumber(size);
                off = mOff + size;
                prevBitfield = true;
            }
            else
            {
                var bytes = Math.Max(0L, _layout.ResolveSize(m.Type));
                off = (int)(mOff + bytes * 8);
                prevBitfield = false;
            }
            Write(";");
        }
        if (isStruct)
            EmitBitPadding(off, (int)t.Size * 8, align, false, level + 1);

        if (t.Members.Count != 0 || t.Size != 0)
        {
            Write("\n");
            Write(Indent(level));
            Write("}");
        }
        else
        {
            Write("}");
        }
        if (packed)
            Write(" __attribute__((packed))");
    }

    private static readonly (string Name, string Alias)[] MissingBaseTypes =
    [
        ("__Poly8_t", "unsigned char"), ("__Poly16_t", "unsigned short"),
        ("__Poly64_t", "unsigned long long"), ("__Poly128_t", "unsigned __int128"),
    ];

    private void EmitMissingAliases(uint id)
    {
        var name = TypeName(id);
        foreach (var (n, alias) in MissingBaseTypes)
        {
            if (name == n)
            {
                Write($"typedef {alias} {name};\n\n");
                break;
            }
        }
    }

    private void EmitEnumFwd(uint id)
    {
        Write("enum ");
        Write(TypeName(id));
    }

    private void EmitEnumDef(uint id, BtfEnumBase t, int level)
    {
        Write("enum");
        if (IsNamed(t))
            Write(" ");
        Write(TypeName(id));
        if (t.Values.Count == 0)
            return;
        Write(" {");
        var is64 = t is BtfEnum64;
        foreach (var v in Items(t.Values))
        {
            var dups = NameDups(_identNames, v.Name);
            Write("\n");
            Write(Indent(level + 1));
            Write(v.Name);
            if (dups > 1)
            {
                Write("___");
                WriteNumber(dups);
            }
            Write(" = ");
            if (is64)
            {
                if (t.Signed)
                    WriteNumber(v.Value);
                else
                    WriteNumber((ulong)v.Value);
                Write(t.Signed ? "LL," : "ULL,");
            }
            else
            {
                if (t.Signed)
                    WriteNumber((int)v.Value);
                else
                    WriteNumber((uint)v.Value);
                Write(",");
            }
        }
        Write("\n");
        Write(Indent(level));
        Write("}");
    }

    private void EmitFwdDef(uint id, BtfFwd t)
    {
        Write(t.IsUnion ? "union " : "struct ");
        Write(TypeName(id));
    }

    private void EmitTypedefDef(uint id, BtfTypedef t, int level)
    {
        var name = IdentName(id);
        if (t.Type == 0 && name == "__gnuc_va_list")
        {
            Write("typedef __builtin_va_list __gnuc_va_list");
            return;
        }
        Write("typedef ");
        EmitTypeDecl(t.Type, name, level);
    }

    // ---- declarations ---------------------------------------------------------------------------------

    /// <summary>A frame of the shared declaration stack: ids [Start, Start+Count).</summary>
    private struct DeclFrame(int start, int count)
    {
        public readonly int Start = start;
        public int Count = count;
    }

    private void EmitTypeDecl(uint id, string fieldName, int level)
    {
        var stackStart = _declStack.Count;
        while (true)
        {
            _declStack.Add(id);
            if (id == 0)
                break;
            var t = _spec[id];
            var done = false;
            switch (t)
            {
                case BtfPtr p: id = p.Target; break;
                case BtfModifier m: id = m.Type; break;
                case BtfFuncProto fp: id = fp.Return; break;
                case BtfArray a: id = a.ElementType; break;
                default: done = true; break;
            }
            if (done)
                break;
        }
        var frame = new DeclFrame(stackStart, _declStack.Count - stackStart);
        EmitTypeChain(ref frame, fieldName, level);
        _declStack.RemoveRange(stackStart, _declStack.Count - stackStart);
    }

    private uint Top(in DeclFrame f) => _declStack[f.Start + f.Count - 1];

    private void EmitMods(ref DeclFrame f)
    {
        while (f.Count > 0)
        {
            switch (_spec[Top(f)].Kind)
            {
                case BtfKind.Volatile: Write("volatile "); break;
                case BtfKind.Const: Write("const "); break;
                case BtfKind.Restrict: Write("restrict "); break;
                default: return;
            }
            f.Count--;
        }
    }

    private void DropMods(ref DeclFrame f)
    {
        while (f.Count > 0)
        {
            var id = Top(f);
            if (id == 0 || _spec[id] is not (BtfVolatile or BtfConst or BtfRestrict or BtfTypeTag))
                return;
            f.Count--;
        }
    }

    private void EmitName(string name, bool lastWasPtr)
    {
        if (name.Length != 0 && !lastWasPtr)
            Write(" ");
        Write(name);
    }

    private void EmitTypeChain(ref DeclFrame decls, string fieldName, int level)
    {
        var lastWasPtr = true;
        while (decls.Count > 0)
        {
            var id = _declStack[decls.Start + --decls.Count];
            if (id == 0)
            {
                EmitMods(ref decls);
                Write("void");
                lastWasPtr = false;
                continue;
            }
            var t = _spec[id];
            switch (t)
            {
                case BtfInt or BtfFloat:
                    EmitMods(ref decls);
                    Write(t.Name);
                    break;
                case BtfComposite c:
                    EmitMods(ref decls);
                    if (!IsNamed(t))
                        EmitStructDef(id, c, level);
                    else
                        EmitStructFwd(id, t);
                    break;
                case BtfEnumBase e:
                    EmitMods(ref decls);
                    if (!IsNamed(t))
                        EmitEnumDef(id, e, level);
                    else
                        EmitEnumFwd(id);
                    break;
                case BtfFwd f:
                    EmitMods(ref decls);
                    EmitFwdDef(id, f);
                    break;
                case BtfTypedef:
                    EmitMods(ref decls);
                    Write(IdentName(id));
                    break;
                case BtfPtr:
                    Write(lastWasPtr ? "*" : " *");
                    break;
                case BtfVolatile:
                    Write(" volatile");
                    break;
                case BtfConst:
                    Write(" const");
                    break;
                case BtfRestrict:
                    Write(" restrict");
                    break;
                case BtfTypeTag tag:
                    EmitMods(ref decls);
                    Write(tag.KindFlag ? $" __attribute__(({tag.Name}))" : $" __attribute__((btf_type_tag(\"{tag.Name}\")))");
                    break;
                case BtfArray a:
                {
                    DropMods(ref decls);
                    if (decls.Count == 0)
                    {
                        EmitName(fieldName, lastWasPtr);
                        Write("[");
                        WriteNumber(a.Count);
                        Write("]");
                        return;
                    }
                    var next = Top(decls);
                    var multiDim = next != 0 && _spec[next] is BtfArray;
                    if (fieldName.Length != 0 && !lastWasPtr)
                        Write(" ");
                    if (!multiDim)
                        Write("(");
                    EmitTypeChain(ref decls, fieldName, level);
                    if (!multiDim)
                        Write(")");
                    Write("[");
                    WriteNumber(a.Count);
                    Write("]");
                    return;
                }
                case BtfFuncProto fp:
                {
                    DropMods(ref decls);
                    if (decls.Count > 0)
                    {
                        Write(" (");
                        EmitTypeChain(ref decls, fieldName, level);
                        Write(")");
                    }
                    else
                    {
                        EmitName(fieldName, lastWasPtr);
                    }
                    Write("(");
                    var ps = Items(fp.Params);
                    if (ps.Length == 0 || (ps.Length == 1 && ps[0].Type == 0))
                    {
                        Write("void)");
                        return;
                    }
                    for (var i = 0; i < ps.Length; i++)
                    {
                        if (i > 0)
                            Write(", ");
                        if (i == ps.Length - 1 && ps[i].Type == 0)
                        {
                            Write("...");
                            break;
                        }
                        EmitTypeDecl(ps[i].Type, ps[i].Name, level);
                    }
                    Write(")");
                    return;
                }
                default:
                    return;
            }
            lastWasPtr = t is BtfPtr;
        }
        EmitName(fieldName, lastWasPtr);
    }

    // ---- names ----------------------------------------------------------------------------------------

    private static int NameDups(Dictionary<string, int> map, string name)
    {
        map.TryGetValue(name, out var count);
        count++;
        map[name] = count;
        return count;
    }

    private string ResolveName(uint id, Dictionary<string, int> map)
    {
        var t = _spec[id];
        if (!IsNamed(t))
            return "";
        if (_nameResolved[id])
            return _cachedNames[id] ?? t.Name;
        _nameResolved[id] = true;
        if (t is BtfFwd || (t is BtfEnum e && e.Values.Count == 0))
            return t.Name;
        var dups = NameDups(map, t.Name);
        if (dups > 1)
            _cachedNames[id] = t.Name + "___" + dups.ToString(CultureInfo.InvariantCulture);
        return _cachedNames[id] ?? t.Name;
    }

    private string TypeName(uint id) => ResolveName(id, _typeNames);

    private string IdentName(uint id) => ResolveName(id, _identNames);
}
