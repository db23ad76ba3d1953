using System.Buffers.Binary;

namespace SharpBpf.Btf;

/// <summary>A <c>bpf_func_info</c> record: the function starting at byte <paramref name="InstructionOffset"/> of its section has BTF type <paramref name="TypeId"/>.</summary>
public sealed record BtfFuncInfo(uint InstructionOffset, uint TypeId);

/// <summary>A <c>bpf_line_info</c> record: source position of the instruction at byte <paramref name="InstructionOffset"/>.</summary>
public sealed record BtfLineInfo(uint InstructionOffset, string FileName, string Line, uint LineNumber, uint Column)
{
    public uint FileNameOffset { get; init; }
    public uint LineOffset { get; init; }
}

/// <summary>What a CO-RE relocation computes (<c>enum bpf_core_relo_kind</c>).</summary>
public enum BtfCoreRelocationKind : uint
{
    FieldByteOffset = 0, FieldByteSize = 1, FieldExists = 2, FieldSigned = 3, FieldLShiftU64 = 4, FieldRShiftU64 = 5,
    TypeIdLocal = 6, TypeIdTarget = 7, TypeExists = 8, TypeSize = 9, EnumValueExists = 10, EnumValue = 11, TypeMatches = 12,
}

/// <summary>A <c>bpf_core_relo</c> record: the instruction at byte <paramref name="InstructionOffset"/> needs <paramref name="Kind"/> of the access <paramref name="AccessString"/> ("0:1:2") rooted at local type <paramref name="TypeId"/>.</summary>
public sealed record BtfCoreRelocation(uint InstructionOffset, uint TypeId, string AccessString, BtfCoreRelocationKind Kind)
{
    public uint AccessStringOffset { get; init; }
}

/// <summary>The records of one ELF section (a program's code section) in one <c>.BTF.ext</c> subsection.</summary>
public sealed record BtfExtSection<T>(string SectionName, IReadOnlyList<T> Records)
{
    public uint SectionNameOffset { get; init; }
}

/// <summary>
/// A parsed <c>.BTF.ext</c> section: per code section, the function, line and CO-RE relocation records.
/// Strings (section names, file names, source lines, access strings) live in the matching <c>.BTF</c> string table.
/// Instruction offsets are in bytes from the start of the section, as clang writes them.
/// </summary>
public sealed class BtfExt
{
    private const int MinHeader = 24;

    public required IReadOnlyList<BtfExtSection<BtfFuncInfo>> FuncInfos { get; init; }
    public required IReadOnlyList<BtfExtSection<BtfLineInfo>> LineInfos { get; init; }
    public required IReadOnlyList<BtfExtSection<BtfCoreRelocation>> CoreRelocations { get; init; }

    /// <summary>Record sizes as read (func_info, line_info, core_relo), which a writer reproduces.</summary>
    public uint FuncInfoRecordSize { get; init; } = 8;
    public uint LineInfoRecordSize { get; init; } = 16;
    public uint CoreRelocationRecordSize { get; init; } = 16;
    public bool BigEndian { get; init; }

    /// <summary>Parses a <c>.BTF.ext</c> blob in either byte order; <paramref name="btf"/> is the object's <c>.BTF</c> (for strings).</summary>
    /// <exception cref="BpfFormatException">malformed data; the message names the offset.</exception>
    public static BtfExt Parse(ReadOnlySpan<byte> data, BtfSpec btf)
    {
        if (data.Length < MinHeader)
            throw new BpfFormatException($".BTF.ext is {data.Length} bytes, shorter than its header", 0);
        bool be;
        if (BinaryPrimitives.ReadUInt16LittleEndian(data) == BtfSpec.Magic) be = false;
        else if (BinaryPrimitives.ReadUInt16BigEndian(data) == BtfSpec.Magic) be = true;
        else throw new BpfFormatException($"not .BTF.ext: magic is 0x{BinaryPrimitives.ReadUInt16LittleEndian(data):x4}, expected 0xeb9f", 0);
        if (data[2] != 1)
            throw new BpfFormatException($"unsupported .BTF.ext version {data[2]}", 2);
        var r = new Reader(data.ToArray(), be, btf);
        var hdrLen = r.U32(4);
        if (hdrLen < MinHeader || hdrLen > data.Length)
            throw new BpfFormatException($".BTF.ext header length {hdrLen} is invalid", 4);

        var funcs = r.Subsection(hdrLen, r.U32(8), r.U32(12), 8, "func_info",
            (at, _) => new BtfFuncInfo(r.U32(at), r.U32(at + 4)), out var funcSize);
        var lines = r.Subsection(hdrLen, r.U32(16), r.U32(20), 16, "line_info",
            (at, _) =>
            {
                var file = r.U32(at + 4);
                var line = r.U32(at + 8);
                var lineCol = r.U32(at + 12);
                return new BtfLineInfo(r.U32(at), r.Str(file, at + 4), r.Str(line, at + 8), lineCol >> 10, lineCol & 0x3ff)
                { FileNameOffset = file, LineOffset = line };
            }, out var lineSize);
        var relos = new List<BtfExtSection<BtfCoreRelocation>>();
        uint reloSize = 16;
        if (hdrLen >= 32)
            relos = r.Subsection(hdrLen, r.U32(24), r.U32(28), 16, "core_relo",
                (at, _) =>
                {
                    var access = r.U32(at + 8);
                    return new BtfCoreRelocation(r.U32(at), r.U32(at + 4), r.Str(access, at + 8), (BtfCoreRelocationKind)r.U32(at + 12))
                    { AccessStringOffset = access };
                }, out reloSize);
        return new BtfExt
        {
            FuncInfos = funcs, LineInfos = lines, CoreRelocations = relos, BigEndian = be,
            FuncInfoRecordSize = funcSize, LineInfoRecordSize = lineSize, CoreRelocationRecordSize = reloSize,
        };
    }

    private sealed class Reader(byte[] data, bool be, BtfSpec btf)
    {
        private readonly byte[] _data = data;

        public uint U32(long at)
        {
            if (at < 0 || at + 4 > _data.Length)
                throw new BpfFormatException(".BTF.ext is truncated", at);
            return BtfSpec.ReadU32(_data.AsSpan((int)at), be);
        }

        public string Str(uint offset, long at)
        {
            try
            {
                return btf.GetString(offset);
            }
            catch (BpfFormatException e)
            {
                throw new BpfFormatException(".BTF.ext: " + e.Message, at);
            }
        }

        public List<BtfExtSection<T>> Subsection<T>(uint hdrLen, uint off, uint len, uint minRecord, string what,
            Func<long, int, T> read, out uint recordSize)
        {
            var result = new List<BtfExtSection<T>>();
            recordSize = minRecord;
            if (len == 0)
                return result;
            long start = hdrLen + (long)off;
            long end = start + len;
            if (end > _data.Length)
                throw new BpfFormatException($".BTF.ext {what} ({len} bytes at {off}) runs past the end of the section", start);
            recordSize = U32(start);
            if (recordSize < minRecord || recordSize % 4 != 0)
                throw new BpfFormatException($".BTF.ext {what} record size {recordSize} is invalid (at least {minRecord}, a multiple of 4)", start);
            var pos = start + 4;
            while (pos < end)
            {
                if (pos + 8 > end)
                    throw new BpfFormatException($".BTF.ext {what}: truncated section header", pos);
                var nameOff = U32(pos);
                var count = U32(pos + 4);
                var name = Str(nameOff, pos);
                pos += 8;
                if (count == 0 || pos + (long)count * recordSize > end)
                    throw new BpfFormatException($".BTF.ext {what} for section '{name}': {count} records of {recordSize} bytes do not fit", pos - 4);
                var records = new T[count];
                for (var i = 0; i < count; i++)
                {
                    records[i] = read(pos, i);
                    pos += recordSize;
                }
                result.Add(new BtfExtSection<T>(name, records) { SectionNameOffset = nameOff });
            }
            return result;
        }
    }
}
