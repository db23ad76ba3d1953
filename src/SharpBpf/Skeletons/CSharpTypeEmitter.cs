using System.Globalization;
using SharpBpf.Btf;

namespace SharpBpf.Skeletons;

/// <summary>
/// Declares C# types for BTF types with the exact C layout: explicit-layout structs (<c>FieldOffset</c> per member,
/// <c>Size</c> = the C size, so padding is kept), unions as overlapping fields, anonymous members flattened as C
/// reaches them, fixed buffers for arrays of primitives and inline arrays for others, enums with their C size, and
/// bitfields as properties over their storage unit. Declarations are nested in the skeleton class.
/// </summary>
internal sealed class CSharpTypeEmitter
{
    private const string Interop = "global::System.Runtime.InteropServices.";
    private const string CompilerServices = "global::System.Runtime.CompilerServices.";
    private static readonly string[] ObjectMembers = ["Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize", "ReferenceEquals"];
    private static readonly HashSet<string> FixedBufferTypes = new(StringComparer.Ordinal)
    {
        "bool", "byte", "sbyte", "short", "ushort", "int", "uint", "long", "ulong", "float", "double",
    };
    private static readonly HashSet<string> SignedTypes = new(StringComparer.Ordinal) { "sbyte", "short", "int", "long" };

    private readonly BtfSpec _btf;
    private readonly NameScope _typeScope;
    private readonly Dictionary<uint, string> _declared = [];
    private readonly Dictionary<(string Element, long Count), string> _arrays = [];
    private readonly Dictionary<string, string> _opaque = new(StringComparer.Ordinal);
    private readonly List<string> _declarations = [];

    public CSharpTypeEmitter(BtfSpec btf, NameScope typeScope)
    {
        _btf = btf;
        _typeScope = typeScope;
    }

    /// <summary>Every type declared so far, as source text nested one level deep.</summary>
    public IReadOnlyList<string> Declarations => _declarations;

    /// <summary>The C# type of a value of BTF type <paramref name="id"/>; <paramref name="context"/> names anonymous types.</summary>
    public string TypeOf(uint id, string context)
    {
        string? typedefName = null;
        for (int depth = 0; depth < 64; depth++)
        {
            switch (_btf[id])
            {
                case BtfTypedef t:
                    typedefName ??= t.Name;
                    id = t.Type;
                    continue;
                case BtfModifier m:
                    id = m.Type;
                    continue;
            }
            break;
        }
        var type = _btf[id];
        return type switch
        {
            BtfInt i => IntType(i) ?? Opaque(context, i.Size),
            BtfPtr => "ulong",
            BtfFloat { Size: 4 } => "float",
            BtfFloat { Size: 8 } => "double",
            BtfFloat f => Opaque(context, f.Size),
            BtfEnumBase e => DeclareEnum(id, e, typedefName, context),
            BtfComposite c => DeclareComposite(id, c, typedefName, context),
            BtfArray => ArrayType(id, context),
            _ => throw new BpfException($"BTF type {id} ({type.Kind}{(type.Name.Length > 0 ? " " + type.Name : "")}) cannot be held by value in a skeleton"),
        };
    }

    /// <summary>An opaque struct of <paramref name="size"/> bytes (for keys and values without BTF).</summary>
    public string Opaque(string name, long size)
    {
        if (_opaque.TryGetValue(name + "/" + size, out var existing))
            return existing;
        var typeName = _typeScope.Unique(name);
        _opaque[name + "/" + size] = typeName;
        var w = new CodeWriter(1);
        w.Line($"/// <summary>{size} bytes with no type information.</summary>");
        w.Line($"[{Interop}StructLayout({Interop}LayoutKind.Explicit, Size = {size})]");
        w.Line($"public unsafe struct {typeName}");
        w.Open();
        w.Line($"[{Interop}FieldOffset(0)] public fixed byte Bytes[{size}];");
        w.Close();
        _declarations.Add(w.ToString());
        return typeName;
    }

    /// <summary>The struct of a global data section: its non-static variables at their offsets, <paramref name="size"/> bytes.</summary>
    public void DeclareSection(BtfDatasec datasec, string typeName, int size)
    {
        var w = new CodeWriter(1);
        w.Line($"/// <summary>The global variables of <c>{datasec.Name}</c> ({size} bytes).</summary>");
        w.Line($"[{Interop}StructLayout({Interop}LayoutKind.Explicit, Size = {size})]");
        w.Line($"public unsafe struct {typeName}");
        w.Open();
        var members = new NameScope([typeName, .. ObjectMembers]);
        foreach (var v in datasec.Vars.OrderBy(v => v.Offset))
        {
            if (_btf[v.Type] is not BtfVar variable || variable.Linkage != BtfVarLinkage.GlobalAllocated)
                continue; // static variables stay hidden (padding), as in libbpf's skeletons
            if (v.Offset + v.Size > size)
                continue;
            var name = members.Unique(CSharpNames.Pascal(variable.Name, "Variable"));
            Field(w, members, name, variable.Name, variable.Type, v.Offset, name);
        }
        w.Close();
        _declarations.Add(w.ToString());
    }

    public static bool IsDatasecExposed(BtfSpec btf, BtfDatasec datasec) =>
        datasec.Vars.Any(v => btf[v.Type] is BtfVar { Linkage: BtfVarLinkage.GlobalAllocated });

    private static string? IntType(BtfInt i)
    {
        if ((i.Encoding & BtfIntEncoding.Bool) != 0 && i.Size == 1)
            return "bool";
        bool signed = (i.Encoding & BtfIntEncoding.Signed) != 0 && i.Name != "char";
        return i.Size switch
        {
            1 => signed ? "sbyte" : "byte",
            2 => signed ? "short" : "ushort",
            4 => signed ? "int" : "uint",
            8 => signed ? "long" : "ulong",
            16 => signed ? "global::System.Int128" : "global::System.UInt128",
            _ => null,
        };
    }

    private string DeclareEnum(uint id, BtfEnumBase e, string? typedefName, string context)
    {
        if (_declared.TryGetValue(id, out var existing))
            return existing;
        bool signed = e.Signed;
        string underlying = e.Size switch
        {
            1 => signed ? "sbyte" : "byte",
            2 => signed ? "short" : "ushort",
            4 => signed ? "int" : "uint",
            8 => signed ? "long" : "ulong",
            _ => throw new BpfException($"BTF enum {id} '{e.Name}' has size {e.Size}, which no C# enum has"),
        };
        if (e.Name.Length == 0 && typedefName is null)
            return underlying; // an anonymous enum names only constants: its values are plain integers
        var name = _typeScope.Unique(CSharpNames.Pascal(e.Name.Length > 0 ? e.Name : typedefName!, context));
        _declared[id] = name;

        var members = e.Values.Select(v => CSharpNames.Pascal(v.Name, "Value")).ToList();
        var prefix = CSharpNames.Pascal(e.Name.Length > 0 ? e.Name : typedefName!);
        if (members.Count > 0 && members.All(m => m.Length > prefix.Length && m.StartsWith(prefix, StringComparison.Ordinal)
                && char.IsAsciiLetterUpper(m[prefix.Length])))
            members = members.Select(m => m[prefix.Length..]).ToList();

        var w = new CodeWriter(1);
        w.Line($"/// <summary>C enum {(e.Name.Length > 0 ? e.Name : typedefName)} ({e.Size} bytes).</summary>");
        w.Line($"public enum {name} : {underlying}");
        w.Open();
        var scope = new NameScope([name, "value__"]);
        int bits = (int)e.Size * 8;
        for (int i = 0; i < e.Values.Count; i++)
        {
            long raw = e.Values[i].Value;
            string literal = signed
                ? (bits == 64 ? raw : raw << (64 - bits) >> (64 - bits)).ToString(CultureInfo.InvariantCulture)
                : (bits == 64 ? (ulong)raw : (ulong)raw & ((1UL << bits) - 1)).ToString(CultureInfo.InvariantCulture);
            w.Line($"{scope.Unique(members[i])} = {literal},");
        }
        w.Close();
        _declarations.Add(w.ToString());
        return name;
    }

    private string DeclareComposite(uint id, BtfComposite c, string? typedefName, string context)
    {
        if (_declared.TryGetValue(id, out var existing))
            return existing;
        var cName = c.Name.Length > 0 ? c.Name : typedefName;
        var name = _typeScope.Unique(cName is null ? context : CSharpNames.Pascal(cName, context));
        _declared[id] = name;
        var w = new CodeWriter(1);
        string kind = c is BtfUnion ? "union" : "struct";
        w.Line($"/// <summary>C {kind} {cName ?? "(anonymous)"} ({c.Size} bytes).</summary>");
        w.Line($"[{Interop}StructLayout({Interop}LayoutKind.Explicit, Size = {c.Size})]");
        w.Line($"public unsafe struct {name}");
        w.Open();
        var members = new NameScope([name, .. ObjectMembers]);
        Members(w, members, c, 0, c.Size, name);
        w.Close();
        _declarations.Add(w.ToString());
        return name;
    }

    private void Members(CodeWriter w, NameScope scope, BtfComposite c, long baseBits, uint outerSize, string owner)
    {
        foreach (var m in c.Members)
        {
            long bitOffset = baseBits + m.BitOffset;
            var resolved = _btf.ResolveModifiers(m.Type);
            uint bits = m.BitfieldSize;
            if (bits == 0 && _btf[resolved] is BtfInt { } legacy && legacy.Bits != 0 && legacy.Bits < legacy.Size * 8)
            {
                bits = legacy.Bits;
                bitOffset += legacy.BitOffset;
            }
            if (bits > 0 && m.Name.Length == 0)
            {
                continue; // an unnamed bitfield is padding
            }
            if (bits > 0)
            {
                Bitfield(w, scope, m, bitOffset, bits, outerSize, owner);
            }
            else if (m.Name.Length == 0 && _btf[resolved] is BtfComposite inner)
            {
                Members(w, scope, inner, bitOffset, outerSize, owner); // anonymous struct/union: C reaches its members directly
            }
            else
            {
                var name = scope.Unique(CSharpNames.Pascal(m.Name, "Field"));
                Field(w, scope, name, m.Name, m.Type, bitOffset / 8, owner + name);
            }
        }
    }

    private void Field(CodeWriter w, NameScope scope, string name, string cName, uint typeId, long offset, string context)
    {
        var resolved = _btf.ResolveModifiers(typeId);
        if (_btf[resolved] is BtfArray)
        {
            long count = 1;
            uint element = resolved;
            while (_btf[element] is BtfArray a)
            {
                count *= a.Count;
                element = _btf.ResolveModifiers(a.ElementType);
            }
            if (count == 0)
            {
                w.Line($"// {cName}: a flexible array member, no storage in the struct");
                return;
            }
            var elementType = TypeOf(element, context + "Element");
            if (FixedBufferTypes.Contains(elementType))
            {
                w.Line($"/// <summary>C <c>{cName}</c>: {count} × {elementType}.</summary>");
                w.Line($"[{Interop}FieldOffset({offset})] public fixed {elementType} {name}[{count}];");
                var span = scope.Unique(name + "Span");
                w.Line($"/// <summary><see cref=\"{name}\"/> as a span.</summary>");
                w.Line($"[global::System.Diagnostics.CodeAnalysis.UnscopedRef] public global::System.Span<{elementType}> {span} => " +
                       $"{Interop}MemoryMarshal.CreateSpan(ref {name}[0], {count});");
                return;
            }
            var arrayType = InlineArray(elementType, count);
            w.Line($"/// <summary>C <c>{cName}</c>: {count} × {elementType}.</summary>");
            w.Line($"[{Interop}FieldOffset({offset})] public {arrayType} {name};");
            return;
        }
        var type = TypeOf(typeId, context);
        w.Line($"/// <summary>C <c>{cName}</c>.</summary>");
        if (type == "bool")
            w.Line($"[{Interop}FieldOffset({offset}), {Interop}MarshalAs({Interop}UnmanagedType.U1)] public bool {name};");
        else
            w.Line($"[{Interop}FieldOffset({offset})] public {type} {name};");
    }

    /// <summary>A by-value array type (a map value declared as an array): an inline array.</summary>
    private string ArrayType(uint id, string context)
    {
        long count = 1;
        uint element = id;
        while (_btf[element] is BtfArray a)
        {
            count *= a.Count;
            element = _btf.ResolveModifiers(a.ElementType);
        }
        if (count == 0)
            throw new BpfException($"BTF type {id} is a zero-length array, which cannot be held by value");
        return InlineArray(TypeOf(element, context + "Element"), count);
    }

    private string InlineArray(string elementType, long count)
    {
        if (_arrays.TryGetValue((elementType, count), out var existing))
            return existing;
        var stem = elementType.Replace("global::System.", "", StringComparison.Ordinal);
        var name = _typeScope.Unique(CSharpNames.Pascal(stem) + "Array" + count.ToString(CultureInfo.InvariantCulture));
        _arrays[(elementType, count)] = name;
        var w = new CodeWriter(1);
        w.Line($"/// <summary>{count} × {elementType}, indexable and convertible to a span.</summary>");
        w.Line($"[{CompilerServices}InlineArray({count})]");
        w.Line($"public struct {name}");
        w.Open();
        w.Line($"private {elementType} _element0;");
        w.Close();
        _declarations.Add(w.ToString());
        return name;
    }

    private long SizeOrZero(uint id)
    {
        try
        {
            return _btf.SizeOf(id);
        }
        catch (BpfException)
        {
            return 0;
        }
    }

    private void Bitfield(CodeWriter w, NameScope scope, BtfMember m, long bitOffset, uint bits, uint outerSize, string owner)
    {
        var name = scope.Unique(CSharpNames.Pascal(m.Name, "Bitfield"));
        // The C storage unit (the declared type, aligned) when it holds the field; else the smallest window that does.
        long declared = SizeOrZero(m.Type);
        int unit = declared is 1 or 2 or 4 or 8 ? (int)declared : 0;
        long start = unit > 0 ? bitOffset / (unit * 8) * unit : 0;
        if (unit == 0 || bitOffset + bits > (start + unit) * 8 || start + unit > outerSize)
        {
            long startByte = bitOffset / 8, endByte = (bitOffset + bits + 7) / 8;
            long need = endByte - startByte;
            unit = need <= 1 ? 1 : need <= 2 ? 2 : need <= 4 ? 4 : need <= 8 ? 8 : 0;
            start = unit > 0 && startByte + unit > outerSize ? outerSize - unit : startByte;
        }
        if (unit == 0 || start < 0 || bitOffset - start * 8 + bits > unit * 8)
        {
            w.Line($"// {m.Name}: a {bits}-bit bitfield at bit {bitOffset} that no storage unit of this struct covers");
            return;
        }
        long shift = bitOffset - start * 8;
        string unitType = unit switch { 1 => "byte", 2 => "ushort", 4 => "uint", _ => "ulong" };
        string backing = $"_bits{start}x{unit}";
        if (!scope.IsTaken(backing))
        {
            scope.Reserve(backing);
            w.Line($"[{Interop}FieldOffset({start})] private {unitType} {backing};");
        }
        var type = TypeOf(m.Type, owner + name);
        ulong mask = bits >= 64 ? ulong.MaxValue : (1UL << (int)bits) - 1;
        ulong unitMask = unit == 8 ? ulong.MaxValue : (1UL << (unit * 8)) - 1;
        ulong clear = ~(mask << (int)shift) & unitMask;
        string raw = $"(((ulong){backing} >> {shift}) & 0x{mask:X}UL)";
        string get = type switch
        {
            "bool" => $"{raw} != 0",
            _ when SignedTypes.Contains(type) => $"unchecked(({type})((long)({raw} << {64 - bits}) >> {64 - bits}))",
            _ => $"unchecked(({type}){raw})",
        };
        string value = type == "bool" ? "(value ? 1UL : 0UL)" : "unchecked((ulong)value)";
        w.Line($"/// <summary>C bitfield <c>{m.Name}</c>: {bits} bits at bit {bitOffset}.</summary>");
        w.Line($"public {type} {name}");
        w.Open();
        w.Line($"readonly get => {get};");
        w.Line($"set => {backing} = unchecked(({unitType})(((ulong){backing} & 0x{clear:X}UL) | (({value} & 0x{mask:X}UL) << {shift})));");
        w.Close();
    }
}
