using System.Buffers.Binary;

namespace SharpBpf.Btf;

/// <summary>Decodes the raw BTF layout (struct btf_header, struct btf_type + kind data, strings) into a <see cref="BtfSpec"/>.</summary>
internal static class BtfParser
{
    public static BtfSpec Parse(ReadOnlySpan<byte> data, BtfSpec? baseBtf)
    {
        if (data.Length < BtfSpec.HeaderSize)
            throw new BpfFormatException($"BTF is {data.Length} bytes, shorter than its {BtfSpec.HeaderSize}-byte header", 0);
        bool be;
        if (BinaryPrimitives.ReadUInt16LittleEndian(data) == BtfSpec.Magic)
            be = false;
        else if (BinaryPrimitives.ReadUInt16BigEndian(data) == BtfSpec.Magic)
            be = true;
        else
            throw new BpfFormatException($"not BTF: magic is 0x{BinaryPrimitives.ReadUInt16LittleEndian(data):x4}, expected 0xeb9f", 0);

        var version = data[2];
        var flags = data[3];
        if (version != 1)
            throw new BpfFormatException($"unsupported BTF version {version} (only version 1 exists)", 2);
        var hdrLen = U32(data, 4, be);
        if (hdrLen < BtfSpec.HeaderSize || hdrLen > data.Length)
            throw new BpfFormatException($"BTF header length {hdrLen} is invalid for a {data.Length}-byte blob", 4);
        var typeOff = U32(data, 8, be);
        var typeLen = U32(data, 12, be);
        var strOff = U32(data, 16, be);
        var strLen = U32(data, 20, be);
        var body = data[(int)hdrLen..];
        if ((ulong)typeOff + typeLen > (ulong)body.Length)
            throw new BpfFormatException($"BTF type section ({typeLen} bytes at {typeOff}) runs past the end of the data", 8);
        if ((ulong)strOff + strLen > (ulong)body.Length)
            throw new BpfFormatException($"BTF string section ({strLen} bytes at {strOff}) runs past the end of the data", 16);
        if (typeOff % 4 != 0)
            throw new BpfFormatException($"BTF type section offset {typeOff} is not 4-byte aligned", 8);
        var strBytes = body.Slice((int)strOff, (int)strLen);
        if (baseBtf is null && (strLen == 0 || strBytes[0] != 0))
            throw new BpfFormatException("BTF string section must start with an empty string", hdrLen + strOff);
        if (strLen > 0 && strBytes[^1] != 0)
            throw new BpfFormatException("BTF string section does not end with NUL", hdrLen + strOff + strLen - 1);

        var strings = new BtfStringTable(strBytes.ToArray(), baseBtf?.Strings);
        var types = new List<BtfType>(Math.Max(16, (int)(typeLen / 16)));
        if (baseBtf is null)
            types.Add(BtfVoid.Instance);
        var decoder = new Decoder(body.Slice((int)typeOff, (int)typeLen), be, strings, hdrLen + typeOff);
        decoder.ReadAll(types);

        var spec = new BtfSpec(types, strings, baseBtf, be, version, flags);
        Validate(spec, types, hdrLen + typeOff, decoder.Offsets);
        return spec;
    }

    private static uint U32(ReadOnlySpan<byte> d, int at, bool be) => BtfSpec.ReadU32(d[at..], be);

    /// <summary>Every type id a type refers to must exist.</summary>
    private static void Validate(BtfSpec spec, List<BtfType> types, long typeSectionStart, List<int> offsets)
    {
        var count = (uint)spec.Count;
        var first = spec.FirstId;
        var start = spec.Base is null ? 1 : 0;
        for (var i = start; i < types.Count; i++)
        {
            var id = first + (uint)i;
            void Check(uint target, string what)
            {
                if (target >= count)
                    throw new BpfFormatException(
                        $"BTF type {id} ({types[i].Kind}) refers to {what} type id {target}, but the BTF has only {count} type ids",
                        typeSectionStart + offsets[i - start]);
            }
            switch (types[i])
            {
                case BtfPtr t: Check(t.Target, "target"); break;
                case BtfArray t: Check(t.ElementType, "element"); Check(t.IndexType, "index"); break;
                case BtfComposite t: foreach (var m in t.Members) Check(m.Type, "member"); break;
                case BtfTypedef t: Check(t.Type, "target"); break;
                case BtfModifier t: Check(t.Type, "target"); break;
                case BtfFunc t: Check(t.Proto, "prototype"); break;
                case BtfFuncProto t:
                    Check(t.Return, "return");
                    foreach (var p in t.Params) Check(p.Type, "parameter");
                    break;
                case BtfVar t: Check(t.Type, "variable"); break;
                case BtfDatasec t: foreach (var v in t.Vars) Check(v.Type, "variable"); break;
                case BtfDeclTag t: Check(t.Type, "tagged"); break;
            }
        }
    }

    private ref struct Decoder
    {
        private readonly ReadOnlySpan<byte> _data;
        private readonly bool _be;
        private readonly BtfStringTable _strings;
        private readonly long _fileBase;
        private int _pos;
        private int _typeStart;

        public Decoder(ReadOnlySpan<byte> data, bool be, BtfStringTable strings, long fileBase)
        {
            _data = data;
            _be = be;
            _strings = strings;
            _fileBase = fileBase;
            Offsets = new List<int>();
        }

        public List<int> Offsets { get; }

        private uint U32()
        {
            if (_pos + 4 > _data.Length)
                throw new BpfFormatException($"BTF type at section offset {_typeStart} is truncated", _fileBase + _typeStart);
            var v = _be ? BinaryPrimitives.ReadUInt32BigEndian(_data[_pos..]) : BinaryPrimitives.ReadUInt32LittleEndian(_data[_pos..]);
            _pos += 4;
            return v;
        }

        private string Str(uint offset)
        {
            try
            {
                return _strings.Get(offset);
            }
            catch (BpfFormatException e)
            {
                throw new BpfFormatException(e.Message, _fileBase + _typeStart);
            }
        }

        public void ReadAll(List<BtfType> types)
        {
            while (_pos < _data.Length)
            {
                _typeStart = _pos;
                Offsets.Add(_pos);
                types.Add(ReadOne());
            }
        }

        private BtfType ReadOne()
        {
            var nameOff = U32();
            var info = U32();
            var sizeOrType = U32();
            var vlen = (int)(info & 0xffff);
            var kind = (BtfKind)((info >> 24) & 0x1f);
            var kindFlag = (info >> 31) != 0;
            var name = Str(nameOff);
            switch (kind)
            {
                case BtfKind.Int:
                {
                    var v = U32();
                    var bits = v & 0xff;
                    var offset = (v >> 16) & 0xff;
                    var enc = (BtfIntEncoding)((v >> 24) & 0x0f);
                    return new BtfInt(name, sizeOrType, enc, (byte)offset, (byte)bits) { NameOffset = nameOff };
                }
                case BtfKind.Ptr: return new BtfPtr(sizeOrType) { NameOffset = nameOff };
                case BtfKind.Array:
                {
                    var elem = U32();
                    var index = U32();
                    var n = U32();
                    return new BtfArray(elem, index, n) { NameOffset = nameOff };
                }
                case BtfKind.Struct:
                case BtfKind.Union:
                {
                    var members = new BtfMember[vlen];
                    for (var i = 0; i < vlen; i++)
                    {
                        var mName = U32();
                        var mType = U32();
                        var mOff = U32();
                        members[i] = kindFlag
                            ? new BtfMember(Str(mName), mType, mOff & 0xffffff, mOff >> 24) { NameOffset = mName }
                            : new BtfMember(Str(mName), mType, mOff, 0) { NameOffset = mName };
                    }
                    return kind == BtfKind.Struct
                        ? new BtfStruct(name, sizeOrType, members, kindFlag) { NameOffset = nameOff }
                        : new BtfUnion(name, sizeOrType, members, kindFlag) { NameOffset = nameOff };
                }
                case BtfKind.Enum:
                {
                    var values = new BtfEnumValue[vlen];
                    for (var i = 0; i < vlen; i++)
                    {
                        var vName = U32();
                        var raw = U32();
                        values[i] = new BtfEnumValue(Str(vName), kindFlag ? (int)raw : raw) { NameOffset = vName };
                    }
                    return new BtfEnum(name, sizeOrType, kindFlag, values) { NameOffset = nameOff };
                }
                case BtfKind.Enum64:
                {
                    var values = new BtfEnumValue[vlen];
                    for (var i = 0; i < vlen; i++)
                    {
                        var vName = U32();
                        var lo = U32();
                        var hi = U32();
                        values[i] = new BtfEnumValue(Str(vName), (long)(((ulong)hi << 32) | lo)) { NameOffset = vName };
                    }
                    return new BtfEnum64(name, sizeOrType, kindFlag, values) { NameOffset = nameOff };
                }
                case BtfKind.Fwd: return new BtfFwd(name, kindFlag) { NameOffset = nameOff };
                case BtfKind.Typedef: return new BtfTypedef(name, sizeOrType) { NameOffset = nameOff };
                case BtfKind.Volatile: return new BtfVolatile(sizeOrType) { NameOffset = nameOff };
                case BtfKind.Const: return new BtfConst(sizeOrType) { NameOffset = nameOff };
                case BtfKind.Restrict: return new BtfRestrict(sizeOrType) { NameOffset = nameOff };
                case BtfKind.TypeTag: return new BtfTypeTag(name, sizeOrType, kindFlag) { NameOffset = nameOff };
                case BtfKind.Func:
                    return new BtfFunc(name, sizeOrType, (BtfFuncLinkage)vlen) { NameOffset = nameOff };
                case BtfKind.FuncProto:
                {
                    var ps = new BtfParam[vlen];
                    for (var i = 0; i < vlen; i++)
                    {
                        var pName = U32();
                        var pType = U32();
                        ps[i] = new BtfParam(Str(pName), pType) { NameOffset = pName };
                    }
                    return new BtfFuncProto(sizeOrType, ps) { NameOffset = nameOff };
                }
                case BtfKind.Var:
                {
                    var linkage = U32();
                    return new BtfVar(name, sizeOrType, (BtfVarLinkage)linkage) { NameOffset = nameOff };
                }
                case BtfKind.Datasec:
                {
                    var vars = new BtfVarSecInfo[vlen];
                    for (var i = 0; i < vlen; i++)
                    {
                        var t = U32();
                        var o = U32();
                        var s = U32();
                        vars[i] = new BtfVarSecInfo(t, o, s);
                    }
                    return new BtfDatasec(name, sizeOrType, vars) { NameOffset = nameOff };
                }
                case BtfKind.Float: return new BtfFloat(name, sizeOrType) { NameOffset = nameOff };
                case BtfKind.DeclTag:
                {
                    var component = (int)U32();
                    return new BtfDeclTag(name, sizeOrType, component, kindFlag) { NameOffset = nameOff };
                }
                default:
                    throw new BpfFormatException($"BTF type at section offset {_typeStart} has unknown kind {(int)kind}", _fileBase + _typeStart);
            }
        }
    }
}
