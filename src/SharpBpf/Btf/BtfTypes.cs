namespace SharpBpf.Btf;

/// <summary>
/// One BTF type. Every kind is a record deriving from this; references to other types are type ids
/// resolved through the owning <see cref="BtfSpec"/>. <see cref="Name"/> is "" for anonymous types.
/// </summary>
public abstract record BtfType(string Name)
{
    /// <summary>The BTF kind of this type.</summary>
    public abstract BtfKind Kind { get; }

    /// <summary>Offset of <see cref="Name"/> in the string table this type was read from (a writer hint; <see cref="uint.MaxValue"/> when unknown).</summary>
    public uint NameOffset { get; init; } = uint.MaxValue;
}

/// <summary>Type id 0: <c>void</c>.</summary>
public sealed record BtfVoid() : BtfType("")
{
    /// <summary>The single void instance.</summary>
    public static BtfVoid Instance { get; } = new() { NameOffset = 0 };
    public override BtfKind Kind => BtfKind.Void;
}

/// <summary>An integer: <paramref name="Size"/> bytes, with <paramref name="Bits"/> value bits starting at <paramref name="BitOffset"/>.</summary>
public sealed record BtfInt(string Name, uint Size, BtfIntEncoding Encoding, byte BitOffset, byte Bits) : BtfType(Name)
{
    public override BtfKind Kind => BtfKind.Int;
}

/// <summary>A pointer to <paramref name="Target"/>.</summary>
public sealed record BtfPtr(uint Target) : BtfType("")
{
    public override BtfKind Kind => BtfKind.Ptr;
}

/// <summary>An array of <paramref name="Count"/> elements of <paramref name="ElementType"/>.</summary>
public sealed record BtfArray(uint ElementType, uint IndexType, uint Count) : BtfType("")
{
    public override BtfKind Kind => BtfKind.Array;
}

/// <summary>A struct or union member. <paramref name="BitfieldSize"/> is 0 for a plain member.</summary>
public sealed record BtfMember(string Name, uint Type, uint BitOffset, uint BitfieldSize)
{
    /// <summary>Offset of <see cref="Name"/> in the string table (writer hint).</summary>
    public uint NameOffset { get; init; } = uint.MaxValue;
}

/// <summary>Common shape of <see cref="BtfStruct"/> and <see cref="BtfUnion"/>.</summary>
public abstract record BtfComposite(string Name, uint Size, IReadOnlyList<BtfMember> Members, bool HasBitfieldSizes) : BtfType(Name);

/// <summary>A struct. <paramref name="HasBitfieldSizes"/> is BTF's kind_flag: member offsets carry explicit bitfield sizes.</summary>
public sealed record BtfStruct(string Name, uint Size, IReadOnlyList<BtfMember> Members, bool HasBitfieldSizes = false)
    : BtfComposite(Name, Size, Members, HasBitfieldSizes)
{
    public override BtfKind Kind => BtfKind.Struct;
}

/// <summary>A union (same layout as <see cref="BtfStruct"/>).</summary>
public sealed record BtfUnion(string Name, uint Size, IReadOnlyList<BtfMember> Members, bool HasBitfieldSizes = false)
    : BtfComposite(Name, Size, Members, HasBitfieldSizes)
{
    public override BtfKind Kind => BtfKind.Union;
}

/// <summary>An enumerator of <see cref="BtfEnum"/> or <see cref="BtfEnum64"/>.</summary>
public sealed record BtfEnumValue(string Name, long Value)
{
    /// <summary>Offset of <see cref="Name"/> in the string table (writer hint).</summary>
    public uint NameOffset { get; init; } = uint.MaxValue;
}

/// <summary>Common shape of 32-bit and 64-bit enums. Values of an unsigned enum are stored as their bit pattern.</summary>
public abstract record BtfEnumBase(string Name, uint Size, bool Signed, IReadOnlyList<BtfEnumValue> Values) : BtfType(Name);

/// <summary>An enum with 32-bit values.</summary>
public sealed record BtfEnum(string Name, uint Size, bool Signed, IReadOnlyList<BtfEnumValue> Values)
    : BtfEnumBase(Name, Size, Signed, Values)
{
    public override BtfKind Kind => BtfKind.Enum;
}

/// <summary>An enum with 64-bit values.</summary>
public sealed record BtfEnum64(string Name, uint Size, bool Signed, IReadOnlyList<BtfEnumValue> Values)
    : BtfEnumBase(Name, Size, Signed, Values)
{
    public override BtfKind Kind => BtfKind.Enum64;
}

/// <summary>A forward declaration of a struct (or union when <paramref name="IsUnion"/>).</summary>
public sealed record BtfFwd(string Name, bool IsUnion) : BtfType(Name)
{
    public override BtfKind Kind => BtfKind.Fwd;
}

/// <summary>A typedef naming <paramref name="Type"/>.</summary>
public sealed record BtfTypedef(string Name, uint Type) : BtfType(Name)
{
    public override BtfKind Kind => BtfKind.Typedef;
}

/// <summary>Common shape of the modifiers (volatile, const, restrict, type tag) that wrap one type.</summary>
public abstract record BtfModifier(string Name, uint Type) : BtfType(Name);

/// <summary><c>volatile</c> <paramref name="Type"/>.</summary>
public sealed record BtfVolatile(uint Type) : BtfModifier("", Type)
{
    public override BtfKind Kind => BtfKind.Volatile;
}

/// <summary><c>const</c> <paramref name="Type"/>.</summary>
public sealed record BtfConst(uint Type) : BtfModifier("", Type)
{
    public override BtfKind Kind => BtfKind.Const;
}

/// <summary><c>restrict</c> <paramref name="Type"/>.</summary>
public sealed record BtfRestrict(uint Type) : BtfModifier("", Type)
{
    public override BtfKind Kind => BtfKind.Restrict;
}

/// <summary><c>__attribute__((btf_type_tag(Name)))</c> on <paramref name="Type"/>. <paramref name="KindFlag"/>: an attribute rather than a tag (newer kernels).</summary>
public sealed record BtfTypeTag(string Name, uint Type, bool KindFlag = false) : BtfModifier(Name, Type)
{
    public override BtfKind Kind => BtfKind.TypeTag;
}

/// <summary>A function: <paramref name="Proto"/> is its <see cref="BtfFuncProto"/>.</summary>
public sealed record BtfFunc(string Name, uint Proto, BtfFuncLinkage Linkage) : BtfType(Name)
{
    public override BtfKind Kind => BtfKind.Func;
}

/// <summary>A function parameter; type 0 with an empty name is the <c>...</c> of a variadic function.</summary>
public sealed record BtfParam(string Name, uint Type)
{
    /// <summary>Offset of <see cref="Name"/> in the string table (writer hint).</summary>
    public uint NameOffset { get; init; } = uint.MaxValue;
}

/// <summary>A function signature.</summary>
public sealed record BtfFuncProto(uint Return, IReadOnlyList<BtfParam> Params) : BtfType("")
{
    public override BtfKind Kind => BtfKind.FuncProto;
}

/// <summary>A variable (global data, <c>.maps</c> entries, kernel per-cpu variables).</summary>
public sealed record BtfVar(string Name, uint Type, BtfVarLinkage Linkage) : BtfType(Name)
{
    public override BtfKind Kind => BtfKind.Var;
}

/// <summary>A variable placed in a data section, at <paramref name="Offset"/> bytes.</summary>
public sealed record BtfVarSecInfo(uint Type, uint Offset, uint Size);

/// <summary>A data section (<c>.data</c>, <c>.bss</c>, <c>.maps</c>...) and the variables in it.</summary>
public sealed record BtfDatasec(string Name, uint Size, IReadOnlyList<BtfVarSecInfo> Vars) : BtfType(Name)
{
    public override BtfKind Kind => BtfKind.Datasec;
}

/// <summary>A floating point type.</summary>
public sealed record BtfFloat(string Name, uint Size) : BtfType(Name)
{
    public override BtfKind Kind => BtfKind.Float;
}

/// <summary>
/// <c>btf_decl_tag(Name)</c> on <paramref name="Type"/>, or on its member/parameter number
/// <paramref name="ComponentIndex"/> (-1: the type itself).
/// </summary>
public sealed record BtfDeclTag(string Name, uint Type, int ComponentIndex, bool KindFlag = false) : BtfType(Name)
{
    public override BtfKind Kind => BtfKind.DeclTag;
}
