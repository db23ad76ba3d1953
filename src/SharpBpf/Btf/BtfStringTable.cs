using System.Runtime.CompilerServices;
using System.Text;

namespace SharpBpf.Btf;

/// <summary>
/// A BTF string table: NUL-terminated UTF-8 strings addressed by byte offset. In split BTF, offsets below
/// the base's length resolve in the base table; the split table's own strings continue after it.
/// Strings are decoded on first use and cached per offset without locks (a race only decodes twice).
/// </summary>
internal sealed class BtfStringTable
{
    private readonly byte[] _bytes;
    private readonly BtfStringTable? _base;
    private StringCache? _cache; // built on first use
    private Dictionary<string, uint>? _index;

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
        var local = offset - BaseLength;
        if (local >= (uint)_bytes.Length)
            throw new BpfFormatException($"BTF string offset {offset} is past the end of the string table ({TotalLength} bytes)");
        var cache = _cache ??= new StringCache(_bytes);
        var slot = cache.Slot(local);
        if (slot >= 0 && cache.Values[slot] is { } cached)
            return cached;
        var rest = _bytes.AsSpan((int)local);
        var end = rest.IndexOf((byte)0);
        if (end < 0)
            throw new BpfFormatException($"BTF string at offset {offset} is not NUL-terminated");
        var s = end == 0 ? "" : Encoding.UTF8.GetString(rest[..end]);
        if (slot >= 0)
            cache.Values[slot] = s;
        return s;
    }

    /// <summary>
    /// Open-addressing table from the offset of each string start to its decoded string. Keys are all filled
    /// up front, so readers on several threads only ever publish values (a race decodes a string twice).
    /// </summary>
    private sealed class StringCache
    {
        private readonly int[] _keys; // offset + 1; 0 = empty
        private readonly int _mask;
        private readonly int _shift;
        public readonly string?[] Values;

        public StringCache(byte[] bytes)
        {
            var count = bytes.AsSpan().Count((byte)0);
            var capacity = 16;
            var bits = 4;
            while (capacity < count * 3)
            {
                capacity <<= 1;
                bits++;
            }
            _shift = 32 - bits;
            _keys = new int[capacity];
            Values = new string?[capacity];
            _mask = capacity - 1;
            var pos = 0;
            while (pos < bytes.Length)
            {
                var h = Hash(pos);
                while (_keys[h] != 0)
                    h = (h + 1) & _mask;
                _keys[h] = pos + 1;
                var end = bytes.AsSpan(pos).IndexOf((byte)0);
                if (end < 0)
                    break;
                pos += end + 1;
            }
        }

        /// <summary>Fibonacci hashing: the top bits of the product are the well-mixed ones.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private int Hash(int key) => (int)(((uint)key * 0x9E3779B1u) >> _shift);

        /// <summary>The slot of a string starting at <paramref name="offset"/>, or -1 when no string starts there.</summary>
        public int Slot(uint offset)
        {
            var key = (int)offset + 1;
            var h = Hash((int)offset);
            while (true)
            {
                var k = _keys[h];
                if (k == key)
                    return h;
                if (k == 0)
                    return -1;
                h = (h + 1) & _mask;
            }
        }
    }

    /// <summary>Finds an existing string (base tables first, as libbpf does); offsets are absolute.</summary>
    public bool TryFind(string value, out uint offset)
    {
        if (_base is not null && _base.TryFind(value, out offset))
            return true;
        var index = _index;
        if (index is null)
        {
            index = new Dictionary<string, uint>();
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
        return index.TryGetValue(value, out offset);
    }

    /// <summary>True when the string at <paramref name="offset"/> is exactly <paramref name="value"/>.</summary>
    public bool Matches(uint offset, string value)
    {
        if (offset == uint.MaxValue || !Contains(offset))
            return false;
        return Get(offset) == value;
    }
}
