using System.Runtime.CompilerServices;
using System.Buffers.Binary;

namespace SharpBpf.Btf;

/// <summary>
/// A parsed BTF blob: the types (ids from 0 = void) and their names. Split BTF (kernel module BTF) sits on a
/// base spec: its type ids and string offsets continue where the base's end, and lookups fall through to the base.
/// </summary>
public sealed class BtfSpec
{
    /// <summary>The BTF magic number (<c>BTF_MAGIC</c>), which also tells the byte order.</summary>
    public const ushort Magic = 0xeb9f;
    internal const int HeaderSize = 24;

    private BtfType?[] _types; // own types (decoded lazily from _raw); for a base spec, index 0 is void
    private int _count;
    private readonly BtfRawTypes? _raw;
    private readonly int _rawStart; // index in _types of the first raw type (1 for a base spec: after void)
    private Dictionary<string, List<uint>>? _byName;

    internal BtfSpec(BtfRawTypes raw, BtfStringTable strings, BtfSpec? baseBtf, bool bigEndian, byte version, byte flags)
        : this(strings, baseBtf, bigEndian, version, flags)
    {
        _raw = raw;
        _rawStart = baseBtf is null ? 1 : 0;
        _count = _rawStart + raw.Count;
        _types = new BtfType?[_count];
        if (baseBtf is null)
            _types[0] = BtfVoid.Instance;
    }

    private BtfSpec(BtfStringTable strings, BtfSpec? baseBtf, bool bigEndian, byte version, byte flags)
    {
        _types = baseBtf is null ? [BtfVoid.Instance] : [];
        _count = _types.Length;
        Strings = strings;
        Base = baseBtf;
        BigEndian = bigEndian;
        Version = version;
        Flags = flags;
        FirstId = (uint)(baseBtf?.Count ?? 0);
    }

    /// <summary>Creates an empty spec (only void, or nothing of its own on top of <paramref name="baseBtf"/>) to add types to.</summary>
    public BtfSpec(BtfSpec? baseBtf = null, bool bigEndian = false)
        : this(new BtfStringTable([0], baseBtf?.Strings), baseBtf, bigEndian, 1, 0)
    {
    }

    /// <summary>Parses raw BTF (header, types, strings) in either byte order.</summary>
    /// <param name="data">the blob, e.g. /sys/kernel/btf/vmlinux or an object's <c>.BTF</c> section.</param>
    /// <param name="baseBtf">the base for split BTF (module BTF over vmlinux), or null.</param>
    /// <exception cref="BpfFormatException">the data is not valid BTF; the message names the offset.</exception>
    public static BtfSpec Parse(ReadOnlySpan<byte> data, BtfSpec? baseBtf = null) => BtfParser.Parse(data, baseBtf);

    /// <summary>Parses BTF that sits at <paramref name="origin"/> in a file (an ELF section), so error offsets are file offsets.</summary>
    internal static BtfSpec Parse(ReadOnlySpan<byte> data, BtfSpec? baseBtf, long origin) => BtfParser.Parse(data, baseBtf, origin);

    /// <summary>Reads raw BTF from a file (e.g. /sys/kernel/btf/vmlinux). For ELF objects use <see cref="BtfFile"/>.</summary>
    public static BtfSpec LoadFile(string path, BtfSpec? baseBtf = null)
    {
        try
        {
            return Parse(File.ReadAllBytes(path), baseBtf);
        }
        catch (BpfFormatException e) when (e.File is null)
        {
            throw BtfFile.WithFile(e, path);
        }
    }

    /// <summary>The base spec of split BTF, or null.</summary>
    public BtfSpec? Base { get; }

    /// <summary>The first type id this spec defines itself (0 for a base spec; the base's <see cref="Count"/> for split BTF).</summary>
    public uint FirstId { [MethodImpl(MethodImplOptions.AggressiveInlining)] get; }

    /// <summary>Number of type ids, including void (id 0) and, for split BTF, the base's types.</summary>
    public int Count => (int)FirstId + _count;

    /// <summary>True when the blob was big-endian (the byte order <see cref="ToBytes()"/> writes by default).</summary>
    public bool BigEndian { get; }

    /// <summary>Header version (1) and flags (0), as read.</summary>
    public byte Version { get; }

    public byte Flags { get; }

    internal BtfStringTable Strings { get; }

    /// <summary>The type with id <paramref name="id"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">no such type id.</exception>
    public BtfType this[uint id]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            var local = id - FirstId;
            if (local < (uint)_count)
                return _types[(int)local] ?? Decode((int)local);
            return OutsideOwn(id);
        }
    }

    private BtfType OutsideOwn(uint id) => id < FirstId
        ? Base![id]
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"BTF type id {id} does not exist (the BTF has {Count} type ids)");

    private BtfType Decode(int local)
    {
        var t = _raw!.Decode(local - _rawStart);
        _types[local] = t;
        return t;
    }

    /// <summary>The kind of type <paramref name="id"/>, without decoding it.</summary>
    public BtfKind KindOf(uint id)
    {
        if (id < FirstId)
            return Base!.KindOf(id);
        var local = id - FirstId;
        if (local >= (uint)_count)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"BTF type id {id} does not exist (the BTF has {Count} type ids)");
        var t = _types[(int)local];
        return t is not null ? t.Kind : _raw!.Kind((int)local - _rawStart);
    }

    /// <summary>
    /// The one type a pointer, typedef, modifier, function, variable or decl tag refers to, without decoding it;
    /// null for other kinds.
    /// </summary>
    internal uint? SingleReferenceOf(uint id)
    {
        if (id < FirstId)
            return Base!.SingleReferenceOf(id);
        var local = (int)(id - FirstId);
        var t = _types[local];
        if (t is not null)
        {
            return t switch
            {
                BtfPtr p => p.Target,
                BtfTypedef td => td.Type,
                BtfModifier m => m.Type,
                BtfFunc f => f.Proto,
                BtfVar v => v.Type,
                BtfDeclTag d => d.Type,
                _ => null,
            };
        }
        var kind = _raw!.Kind(local - _rawStart);
        return kind is BtfKind.Ptr or BtfKind.Typedef or BtfKind.Volatile or BtfKind.Const or BtfKind.Restrict or BtfKind.TypeTag
            or BtfKind.Func or BtfKind.Var or BtfKind.DeclTag
            ? _raw.SizeOrType(local - _rawStart)
            : null;
    }

    /// <summary>The name of type <paramref name="id"/>, without decoding the type.</summary>
    public string NameOf(uint id)
    {
        if (id < FirstId)
            return Base!.NameOf(id);
        var local = id - FirstId;
        if (local >= (uint)_count)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"BTF type id {id} does not exist (the BTF has {Count} type ids)");
        var t = _types[(int)local];
        return t is not null ? t.Name : Strings.Get(_raw!.NameOffset((int)local - _rawStart));
    }

    /// <summary>Type ids of this spec's own types (not the base's), in order; excludes void.</summary>
    public IEnumerable<uint> OwnIds()
    {
        for (var id = Math.Max(FirstId, 1u); id < Count; id++)
            yield return id;
    }

    /// <summary>The string at offset <paramref name="offset"/> of the string table (base table included for split BTF).</summary>
    public string GetString(uint offset) => Strings.Get(offset);

    /// <summary>Appends a type and returns its id.</summary>
    public uint Add(BtfType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (_count == _types.Length)
            Array.Resize(ref _types, Math.Max(16, _types.Length * 2));
        _types[_count++] = type;
        _byName = null;
        return (uint)(Count - 1);
    }

    /// <summary>Ids (base types first) of the types named <paramref name="name"/> of kind <paramref name="kind"/>.</summary>
    public IEnumerable<uint> FindByName(string name, BtfKind kind)
    {
        if (Base is not null)
            foreach (var id in Base.FindByName(name, kind))
                yield return id;
        _byName ??= BuildNameIndex();
        if (!_byName.TryGetValue(name, out var ids))
            yield break;
        foreach (var id in ids)
            if (KindOf(id) == kind)
                yield return id;
    }

    private Dictionary<string, List<uint>> BuildNameIndex()
    {
        var index = new Dictionary<string, List<uint>>();
        for (var i = 0; i < _count; i++)
        {
            var t = _types[i];
            var name = t is not null ? t.Name : Strings.Get(_raw!.NameOffset(i - _rawStart));
            if (name.Length == 0)
                continue;
            if (!index.TryGetValue(name, out var list))
                index[name] = list = new List<uint>(1);
            list.Add(FirstId + (uint)i);
        }
        return index;
    }

    /// <summary>Follows typedefs and const/volatile/restrict/type-tag modifiers to the underlying type id.</summary>
    public uint ResolveModifiers(uint id)
    {
        for (var depth = 0; depth < 64; depth++)
        {
            switch (this[id])
            {
                case BtfTypedef t: id = t.Type; break;
                case BtfModifier m: id = m.Type; break;
                default: return id;
            }
        }
        throw new BpfFormatException($"BTF type {id}: typedef/modifier chain is too deep (a loop?)");
    }

    /// <summary>Size in bytes of a type (through typedefs, modifiers, arrays and vars). Pointers are 8 bytes.</summary>
    /// <exception cref="BpfException">the type has no size (void, function, forward declaration).</exception>
    public long SizeOf(uint id)
    {
        long multiplier = 1;
        for (var depth = 0; depth < 64; depth++)
        {
            switch (this[id])
            {
                case BtfInt t: return multiplier * t.Size;
                case BtfComposite t: return multiplier * t.Size;
                case BtfEnumBase t: return multiplier * t.Size;
                case BtfFloat t: return multiplier * t.Size;
                case BtfDatasec t: return multiplier * t.Size;
                case BtfPtr: return multiplier * 8;
                case BtfTypedef t: id = t.Type; break;
                case BtfModifier t: id = t.Type; break;
                case BtfVar t: id = t.Type; break;
                case BtfArray t:
                    multiplier = checked(multiplier * t.Count);
                    id = t.ElementType;
                    break;
                case var t:
                    throw new BpfException($"BTF type {id} ({t.Kind}{(t.Name.Length > 0 ? " " + t.Name : "")}) has no size");
            }
        }
        throw new BpfFormatException($"BTF type {id}: type chain is too deep (a loop?)");
    }

    /// <summary>Serializes the spec (for split BTF: only its own types and strings) in its own byte order.</summary>
    public byte[] ToBytes() => ToBytes(BigEndian);

    /// <summary>Serializes the spec (for split BTF: only its own types and strings) in the given byte order.</summary>
    public byte[] ToBytes(bool bigEndian) => BtfWriter.Write(this, bigEndian);

    /// <summary>The spec's own types in id order (decoding each).</summary>
    internal IEnumerable<BtfType> OwnTypes()
    {
        for (var i = 0; i < _count; i++)
            yield return _types[i] ?? Decode(i);
    }

    internal static uint ReadU32(ReadOnlySpan<byte> s, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);
}
