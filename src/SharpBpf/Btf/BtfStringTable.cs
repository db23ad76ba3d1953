using System.Text;

namespace SharpBpf.Btf;

/// <summary>
/// A BTF string table: NUL-terminated UTF-8 strings addressed by byte offset. In split BTF, offsets below
/// the base's length resolve in the base table; the split table's own strings continue after it.
/// </summary>
internal sealed class BtfStringTable
{
    private readonly byte[] _bytes;
    private readonly BtfStringTable? _base;
    private readonly Dictionary<uint, string> _cache = new();

    public BtfStringTable(byte[] bytes, BtfStringTable? baseTable)
    {
        _bytes = bytes;
        _base = baseTable;
        BaseLength = baseTable?.TotalLength ?? 0;
    }

    /// <summary>This table's own bytes (without the base's).</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>Length of the base tables this one continues.</summary>
    public uint BaseLength { get; }

    /// <summary>Base length plus this table's own length: the offset the next appended string would get.</summary>
    public uint TotalLength => BaseLength + (uint)_bytes.Length;

    /// <summary>True when <paramref name="offset"/> addresses a byte inside this table or its bases.</summary>
    public bool Contains(uint offset) => offset < TotalLength;

    /// <summary>The string at <paramref name="offset"/>; throws <see cref="BpfFormatException"/> when out of range or unterminated.</summary>
    public string Get(uint offset)
    {
        if (offset < BaseLength)
            return _base!.Get(offset);
        if (offset == 0)
            return "";
        if (_cache.TryGetValue(offset, out var cached))
            return cached;
        var local = offset - BaseLength;
        if (local >= _bytes.Length)
            throw new BpfFormatException($"BTF string offset {offset} is past the end of the string table ({TotalLength} bytes)");
        var rest = _bytes.AsSpan((int)local);
        var end = rest.IndexOf((byte)0);
        if (end < 0)
            throw new BpfFormatException($"BTF string at offset {offset} is not NUL-terminated");
        var s = end == 0 ? "" : Encoding.UTF8.GetString(rest[..end]);
        _cache[offset] = s;
        return s;
    }

    private Dictionary<string, uint>? _index;

    /// <summary>Finds an existing string (base tables first, as libbpf does); offsets are absolute.</summary>
    public bool TryFind(string value, out uint offset)
    {
        if (_base is not null && _base.TryFind(value, out offset))
            return true;
        if (_index is null)
        {
            var index = new Dictionary<string, uint>();
            var pos = 0;
            while (pos < _bytes.Length)
            {
                var end = _bytes.AsSpan(pos).IndexOf((byte)0);
                if (end < 0)
                    break;
                index.TryAdd(Encoding.UTF8.GetString(_bytes, pos, end), BaseLength + (uint)pos);
                pos += end + 1;
            }
            _index = index;
        }
        return _index.TryGetValue(value, out offset);
    }

    /// <summary>True when the string at <paramref name="offset"/> is exactly <paramref name="value"/>.</summary>
    public bool Matches(uint offset, string value)
    {
        if (offset == uint.MaxValue || !Contains(offset))
            return false;
        if (offset < BaseLength)
            return _base!.Matches(offset, value);
        return offset == 0 ? value.Length == 0 : Get(offset) == value;
    }
}
