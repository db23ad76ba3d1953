using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace SharpBpf.Btf;

/// <summary>
/// Reads the raw BTF layout (struct btf_header, struct btf_type + kind data, strings). Parsing validates every
/// type (kinds, lengths, referenced ids, name offsets) in one pass over the bytes; the <see cref="BtfType"/>
/// records are decoded lazily, on first access, by <see cref="BtfRawTypes"/>.
/// </summary>
internal static class BtfParser
{
    /// <param name="origin">where <paramref name="data"/> starts in its file (an ELF section's offset), added to error offsets.</param>
    public static BtfSpec Parse(ReadOnlySpan<byte> data, BtfSpec? baseBtf, long origin = 0)
    {
        if (data.Length < BtfSpec.HeaderSize)
            throw new BpfFormatException($"BTF is {data.Length} bytes, shorter than its {BtfSpec.HeaderSize}-byte header", origin);
        bool be;
        if (BinaryPrimitives.ReadUInt16LittleEndian(data) == BtfSpec.Magic)
            be = false;
        else if (BinaryPrimitives.ReadUInt16BigEndian(data) == BtfSpec.Magic)
            be = true;
        else
            throw new BpfFormatException($"not BTF: magic is 0x{BinaryPrimitives.ReadUInt16LittleEndian(data):x4}, expected 0xeb9f", origin);

        var version = data[2];
        var flags = data[3];
        if (version != 1)
            throw new BpfFormatException($"unsupported BTF version {version} (only version 1 exists)", origin + 2);
        var hdrLen = U32(data, 4, be);
        if (hdrLen < BtfSpec.HeaderSize || hdrLen > data.Length)
            throw new BpfFormatException($"BTF header length {hdrLen} is invalid for a {data.Length}-byte blob", origin + 4);
        var typeOff = U32(data, 8, be);
        var typeLen = U32(data, 12, be);
        var strOff = U32(data, 16, be);
        var strLen = U32(data, 20, be);
        var body = data[(int)hdrLen..];
        if ((ulong)typeOff + typeLen > (ulong)body.Length)
            throw new BpfFormatException($"BTF type section ({typeLen} bytes at {typeOff}) runs past the end of the data", origin + 8);
        if ((ulong)strOff + strLen > (ulong)body.Length)
            throw new BpfFormatException($"BTF string section ({strLen} bytes at {strOff}) runs past the end of the data", origin + 16);
        if (typeOff % 4 != 0)
            throw new BpfFormatException($"BTF type section offset {typeOff} is not 4-byte aligned", origin + 8);
        var strBytes = body.Slice((int)strOff, (int)strLen);
        if (baseBtf is null && (strLen == 0 || strBytes[0] != 0))
            throw new BpfFormatException("BTF string section must start with an empty string", origin + hdrLen + strOff);
        if (strLen > 0 && strBytes[^1] != 0)
            throw new BpfFormatException("BTF string section does not end with NUL", origin + hdrLen + strOff + strLen - 1);

        var strings = new BtfStringTable(strBytes.ToArray(), baseBtf?.Strings);
        var typeBytes = body.Slice((int)typeOff, (int)typeLen).ToArray();
        var fileBase = origin + hdrLen + typeOff;
        var offsets = Scan(typeBytes, be, fileBase);
        var first = (uint)(baseBtf?.Count ?? 1); // id of the first own type
        var raw = new BtfRawTypes(typeBytes, offsets.Array, offsets.Count, be, strings, fileBase);
        Validate(raw, first, first + (uint)offsets.Count, strings.TotalLength);
        CheckLoops(raw, first);
        return new BtfSpec(raw, strings, baseBtf, be, version, flags);
    }

    private static uint U32(ReadOnlySpan<byte> d, int at, bool be) => BtfSpec.ReadU32(d[at..], be);

    /// <summary>Finds where each type starts, checking kinds and that every type fits.</summary>
    private static (int[] Array, int Count) Scan(byte[] data, bool be, long fileBase)
    {
        var offsets = new int[Math.Max(16, data.Length / 24)];
        var count = 0;
        var pos = 0;
        while (pos < data.Length)
        {
            if (pos + 12 > data.Length)
                throw new BpfFormatException($"BTF type at section offset {pos} is truncated", fileBase + pos);
            var info = BtfSpec.ReadU32(data.AsSpan(pos + 4), be);
            var vlen = (int)(info & 0xffff);
            var kind = (BtfKind)((info >> 24) & 0x1f);
            var extra = BtfRawTypes.ExtraSize(kind, vlen);
            if (extra < 0)
                throw new BpfFormatException($"BTF type at section offset {pos} has unknown kind {(int)kind}", fileBase + pos);
            if (pos + 12L + extra > data.Length)
                throw new BpfFormatException($"BTF type at section offset {pos} ({kind}, vlen {vlen}) is truncated", fileBase + pos);
            if (count == offsets.Length)
                Array.Resize(ref offsets, offsets.Length * 2);
            offsets[count++] = pos;
            pos += 12 + extra;
        }
        return (offsets, count);
    }

    /// <summary>Every referenced type id must exist and every name offset must be inside the string table.</summary>
    private static void Validate(BtfRawTypes raw, uint first, uint count, uint strLen)
    {
        var d = raw.Data.AsSpan();
        var be = raw.BigEndian;
        for (var i = 0; i < raw.Count; i++)
        {
            var at = raw.Offsets[i];
            var id = first + (uint)i;
            var nameOff = BtfSpec.ReadU32(d[at..], be);
            var info = BtfSpec.ReadU32(d[(at + 4)..], be);
            var sizeOrType = BtfSpec.ReadU32(d[(at + 8)..], be);
            var vlen = (int)(info & 0xffff);
            var kind = (BtfKind)((info >> 24) & 0x1f);
            var x = at + 12;
            if (nameOff >= strLen)
                Fail(raw, i, id, kind, $"has name offset {nameOff} past the end of the string table ({strLen} bytes)");
            switch (kind)
            {
                case BtfKind.Ptr or BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const or BtfKind.Restrict
                    or BtfKind.TypeTag or BtfKind.Func or BtfKind.Var or BtfKind.DeclTag:
                    Check(sizeOrType, "target");
                    break;
                case BtfKind.Array:
                    Check(BtfSpec.ReadU32(d[x..], be), "element");
                    Check(BtfSpec.ReadU32(d[(x + 4)..], be), "index");
                    break;
                case BtfKind.Struct or BtfKind.Union:
                    for (var m = 0; m < vlen; m++, x += 12)
                    {
                        Name(BtfSpec.ReadU32(d[x..], be));
                        Check(BtfSpec.ReadU32(d[(x + 4)..], be), "member");
                    }
                    break;
                case BtfKind.Enum:
                    for (var m = 0; m < vlen; m++, x += 8)
                        Name(BtfSpec.ReadU32(d[x..], be));
                    break;
                case BtfKind.Enum64:
                    for (var m = 0; m < vlen; m++, x += 12)
                        Name(BtfSpec.ReadU32(d[x..], be));
                    break;
                case BtfKind.FuncProto:
                    Check(sizeOrType, "return");
                    for (var m = 0; m < vlen; m++, x += 8)
                    {
                        Name(BtfSpec.ReadU32(d[x..], be));
                        Check(BtfSpec.ReadU32(d[(x + 4)..], be), "parameter");
                    }
                    break;
                case BtfKind.Datasec:
                    for (var m = 0; m < vlen; m++, x += 12)
                        Check(BtfSpec.ReadU32(d[x..], be), "variable");
                    break;
            }

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            void Check(uint target, string what)
            {
                if (target >= count)
                    Fail(raw, i, id, kind, $"refers to {what} type id {target}, but the BTF has only {count} type ids");
            }

            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            void Name(uint offset)
            {
                if (offset >= strLen)
                    Fail(raw, i, id, kind, $"has a member/value name offset {offset} past the end of the string table ({strLen} bytes)");
            }
        }
    }

    /// <summary>How deep a chain of references may go: the kernel's MAX_RESOLVE_DEPTH.</summary>
    internal const int MaxResolveDepth = 32;

    /// <summary>How deep structs and unions may nest by value (each level counting the typedefs, modifiers and arrays
    /// between): far beyond any real program's or kernel's types, and well within every consumer's stack.</summary>
    internal const int MaxNestingDepth = 256;

    /// <summary>
    /// Every consumer (the C and raw printers, CO-RE, skeletons, value formatting) walks references recursively, so
    /// refuse what would send it into endless or stack-deep recursion, as the kernel refuses it:
    /// a chain of pointers, typedefs, modifiers, arrays and function prototypes must end (in a base type, a struct or
    /// union, or void) within <see cref="MaxResolveDepth"/> steps — a loop that does not pass through a struct or union
    /// cannot be written in C; and structs and unions may not contain themselves by value, nor nest deeper than
    /// <see cref="MaxNestingDepth"/>.
    /// </summary>
    private static void CheckLoops(BtfRawTypes raw, uint first)
    {
        CheckDepth(raw, first, byValue: false, MaxResolveDepth,
            "is part of a reference loop that passes through no struct or union",
            $"starts a chain of pointers, typedefs, modifiers or arrays deeper than {MaxResolveDepth} (the kernel's MAX_RESOLVE_DEPTH)");
        CheckDepth(raw, first, byValue: true, MaxNestingDepth,
            "contains itself by value (a struct or union loop that passes through no pointer)",
            $"nests structs or unions by value deeper than {MaxNestingDepth} levels");
    }

    /// <summary>A depth-first walk without recursion: loops along <see cref="Edge"/> fail, and so does a type whose longest
    /// path of edges is longer than <paramref name="maxDepth"/>.</summary>
    private static void CheckDepth(BtfRawTypes raw, uint first, bool byValue, int maxDepth, string loop, string tooDeep)
    {
        var d = raw.Data.AsSpan();
        var be = raw.BigEndian;
        var state = new byte[raw.Count]; // 0 new, 1 on the current path, 2 done
        var height = new int[raw.Count]; // the longest path of edges from the type, once done
        var stackIndex = new int[raw.Count];
        var stackNext = new int[raw.Count];
        for (var root = 0; root < raw.Count; root++)
        {
            if (state[root] != 0)
                continue;
            var depth = 0;
            stackIndex[0] = root;
            stackNext[0] = 0;
            state[root] = 1;
            while (depth >= 0)
            {
                var index = stackIndex[depth];
                var target = Edge(d, be, raw.Offsets[index], stackNext[depth]++, byValue);
                if (target is null)
                {
                    state[index] = 2;
                    if (height[index] > maxDepth)
                        Fail(raw, index, first + (uint)index, raw.Kind(index), tooDeep);
                    if (--depth >= 0)
                        height[stackIndex[depth]] = Math.Max(height[stackIndex[depth]], height[index] + 1);
                    continue;
                }
                if (target.Value < first)
                    continue; // void or a base type: already checked
                var t = (int)(target.Value - first);
                if (byValue && raw.Kind(index) == BtfKind.Ptr && !IsAnonymousComposite(raw, d, be, t))
                    continue; // a pointer holds its target in place only when C prints it there: an anonymous struct or union
                if (state[t] == 1)
                    Fail(raw, t, first + (uint)t, raw.Kind(t), loop);
                if (state[t] == 2)
                {
                    height[index] = Math.Max(height[index], height[t] + 1);
                }
                else
                {
                    state[t] = 1;
                    depth++;
                    stackIndex[depth] = t;
                    stackNext[depth] = 0;
                }
            }
        }
    }

    private static bool IsAnonymousComposite(BtfRawTypes raw, ReadOnlySpan<byte> d, bool be, int index) =>
        raw.Kind(index) is BtfKind.Struct or BtfKind.Union && BtfSpec.ReadU32(d[raw.Offsets[index]..], be) == 0;

    /// <summary>The <paramref name="n"/>-th type a type refers to along a chain that C would have to unfold, or null when
    /// there are no more. <paramref name="byValue"/>: also the members of structs and unions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint? Edge(ReadOnlySpan<byte> d, bool be, int at, int n, bool byValue)
    {
        var info = BtfSpec.ReadU32(d[(at + 4)..], be);
        var kind = (BtfKind)((info >> 24) & 0x1f);
        var vlen = (int)(info & 0xffff);
        switch (kind)
        {
            case BtfKind.Ptr or BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const or BtfKind.Restrict or BtfKind.TypeTag
                or BtfKind.Func or BtfKind.Var or BtfKind.DeclTag:
                return n == 0 ? BtfSpec.ReadU32(d[(at + 8)..], be) : null;
            case BtfKind.Array:
                return n == 0 ? BtfSpec.ReadU32(d[(at + 12)..], be) : null;
            case BtfKind.FuncProto:
                if (n == 0)
                    return BtfSpec.ReadU32(d[(at + 8)..], be);
                return n <= vlen ? BtfSpec.ReadU32(d[(at + 12 + (n - 1) * 8 + 4)..], be) : null;
            case BtfKind.Struct or BtfKind.Union when byValue:
                return n < vlen ? BtfSpec.ReadU32(d[(at + 12 + n * 12 + 4)..], be) : null;
            default:
                return null; // ints, enums, floats, forward declarations end a chain; structs and unions may loop legally
        }
    }

    private static void Fail(BtfRawTypes raw, int index, uint id, BtfKind kind, string what) =>
        throw new BpfFormatException($"BTF type {id} ({kind}) {what}", raw.FileBase + raw.Offsets[index]);
}

/// <summary>The validated type section of a parsed blob: decodes one type into its record on demand.</summary>
internal sealed class BtfRawTypes(byte[] data, int[] offsets, int count, bool bigEndian, BtfStringTable strings, long fileBase)
{
    public byte[] Data { get; } = data;
    public int[] Offsets { get; } = offsets;
    public int Count { get; } = count;
    public readonly bool BigEndian = bigEndian;
    public long FileBase { get; } = fileBase;

    /// <summary>Bytes of kind-specific data after the 12-byte btf_type, or -1 for an unknown kind.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ExtraSize(BtfKind kind, int vlen) => kind switch
    {
        BtfKind.Int => 4,
        BtfKind.Ptr or BtfKind.Fwd or BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const or BtfKind.Restrict
            or BtfKind.Func or BtfKind.Float or BtfKind.TypeTag => 0,
        BtfKind.Array => 12,
        BtfKind.Struct or BtfKind.Union => 12 * vlen,
        BtfKind.Enum => 8 * vlen,
        BtfKind.FuncProto => 8 * vlen,
        BtfKind.Var => 4,
        BtfKind.Datasec => 12 * vlen,
        BtfKind.DeclTag => 4,
        BtfKind.Enum64 => 12 * vlen,
        _ => -1,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint U32(int at) => BigEndian
        ? BinaryPrimitives.ReadUInt32BigEndian(Data.AsSpan(at))
        : BinaryPrimitives.ReadUInt32LittleEndian(Data.AsSpan(at));

    public BtfKind Kind(int index) => (BtfKind)((U32(Offsets[index] + 4) >> 24) & 0x1f);

    public uint NameOffset(int index) => U32(Offsets[index]);

    public uint SizeOrType(int index) => U32(Offsets[index] + 8);

    public BtfType Decode(int index)
    {
        var at = Offsets[index];
        var nameOff = U32(at);
        var info = U32(at + 4);
        var sizeOrType = U32(at + 8);
        var vlen = (int)(info & 0xffff);
        var kind = (BtfKind)((info >> 24) & 0x1f);
        var kindFlag = (info >> 31) != 0;
        var name = strings.Get(nameOff);
        var x = at + 12;
        switch (kind)
        {
            case BtfKind.Int:
            {
                var v = U32(x);
                return new BtfInt(name, sizeOrType, (BtfIntEncoding)((v >> 24) & 0x0f), (byte)((v >> 16) & 0xff), (byte)(v & 0xff)) { NameOffset = nameOff };
            }
            case BtfKind.Ptr: return new BtfPtr(sizeOrType) { NameOffset = nameOff };
            case BtfKind.Array: return new BtfArray(U32(x), U32(x + 4), U32(x + 8)) { NameOffset = nameOff };
            case BtfKind.Struct:
            case BtfKind.Union:
            {
                var members = new BtfMember[vlen];
                for (var i = 0; i < vlen; i++, x += 12)
                {
                    var mName = U32(x);
                    var mType = U32(x + 4);
                    var mOff = U32(x + 8);
                    members[i] = kindFlag
                        ? new BtfMember(strings.Get(mName), mType, mOff & 0xffffff, mOff >> 24) { NameOffset = mName }
                        : new BtfMember(strings.Get(mName), mType, mOff, 0) { NameOffset = mName };
                }
                return kind == BtfKind.Struct
                    ? new BtfStruct(name, sizeOrType, members, kindFlag) { NameOffset = nameOff }
                    : new BtfUnion(name, sizeOrType, members, kindFlag) { NameOffset = nameOff };
            }
            case BtfKind.Enum:
            {
                var values = new BtfEnumValue[vlen];
                for (var i = 0; i < vlen; i++, x += 8)
                {
                    var vName = U32(x);
                    var raw = U32(x + 4);
                    values[i] = new BtfEnumValue(strings.Get(vName), kindFlag ? (int)raw : raw) { NameOffset = vName };
                }
                return new BtfEnum(name, sizeOrType, kindFlag, values) { NameOffset = nameOff };
            }
            case BtfKind.Enum64:
            {
                var values = new BtfEnumValue[vlen];
                for (var i = 0; i < vlen; i++, x += 12)
                {
                    var vName = U32(x);
                    values[i] = new BtfEnumValue(strings.Get(vName), (long)(((ulong)U32(x + 8) << 32) | U32(x + 4))) { NameOffset = vName };
                }
                return new BtfEnum64(name, sizeOrType, kindFlag, values) { NameOffset = nameOff };
            }
            case BtfKind.Fwd: return new BtfFwd(name, kindFlag) { NameOffset = nameOff };
            case BtfKind.Typedef: return new BtfTypedef(name, sizeOrType) { NameOffset = nameOff };
            case BtfKind.Volatile: return new BtfVolatile(sizeOrType) { NameOffset = nameOff };
            case BtfKind.Const: return new BtfConst(sizeOrType) { NameOffset = nameOff };
            case BtfKind.Restrict: return new BtfRestrict(sizeOrType) { NameOffset = nameOff };
            case BtfKind.TypeTag: return new BtfTypeTag(name, sizeOrType, kindFlag) { NameOffset = nameOff };
            case BtfKind.Func: return new BtfFunc(name, sizeOrType, (BtfFuncLinkage)vlen) { NameOffset = nameOff };
            case BtfKind.FuncProto:
            {
                var ps = new BtfParam[vlen];
                for (var i = 0; i < vlen; i++, x += 8)
                {
                    var pName = U32(x);
                    ps[i] = new BtfParam(strings.Get(pName), U32(x + 4)) { NameOffset = pName };
                }
                return new BtfFuncProto(sizeOrType, ps) { NameOffset = nameOff };
            }
            case BtfKind.Var: return new BtfVar(name, sizeOrType, (BtfVarLinkage)U32(x)) { NameOffset = nameOff };
            case BtfKind.Datasec:
            {
                var vars = new BtfVarSecInfo[vlen];
                for (var i = 0; i < vlen; i++, x += 12)
                    vars[i] = new BtfVarSecInfo(U32(x), U32(x + 4), U32(x + 8));
                return new BtfDatasec(name, sizeOrType, vars) { NameOffset = nameOff };
            }
            case BtfKind.Float: return new BtfFloat(name, sizeOrType) { NameOffset = nameOff };
            case BtfKind.DeclTag: return new BtfDeclTag(name, sizeOrType, (int)U32(x), kindFlag) { NameOffset = nameOff };
            default:
                throw new BpfFormatException($"BTF type at section offset {at} has unknown kind {(int)kind}", FileBase + at);
        }
    }
}
