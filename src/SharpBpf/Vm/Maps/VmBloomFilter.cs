using System.Numerics;
using SharpBpf.Objects;

namespace SharpBpf.Vm.Maps;

/// <summary>
/// BLOOM_FILTER: push adds a value, peek answers "possibly present" (0) or "definitely absent" (ENOENT).
/// map_extra's low 4 bits give the number of hash functions (0 means 5, as the kernel). The bit array has
/// roundup_pow_of_two(max_entries * hashes / ln 2) bits, like the kernel's; the hash functions differ from the
/// kernel's jhash, so false positives fall on different values. User space pushes with update (BPF_ANY only,
/// no key) and peeks with lookup, the value being the input; delete and get_next_key are EOPNOTSUPP.
/// </summary>
public sealed unsafe class VmBloomFilter : VmMap
{
    private readonly ulong[] _bits;
    private readonly uint _mask;

    internal VmBloomFilter(MapSpec spec) : base(spec, 1)
    {
        HashCount = (int)(spec.MapExtra & 0xF) is var k && k != 0 ? k : 5;
        // n * k / ln(2), rounded up to a power of two, at least one word.
        ulong bits = Math.Max(64UL, (ulong)Math.Ceiling(MaxEntries * (double)HashCount / Math.Log(2)));
        bits = Math.Min(BitOperations.RoundUpToPowerOf2(bits), 1UL << 32);
        _bits = new ulong[bits / 64];
        _mask = (uint)(bits - 1);
    }

    /// <summary>The number of hash functions (bits set per value).</summary>
    public int HashCount { get; }

    private uint Bit(ReadOnlySpan<byte> value, int i)
    {
        var h = new HashCode();
        h.Add(i);
        h.AddBytes(value);
        return (uint)h.ToHashCode() & _mask;
    }

    private int Push(ReadOnlySpan<byte> value, ulong flags)
    {
        if (flags != BpfAny)
            return Errno.EINVAL;
        for (int i = 0; i < HashCount; i++)
        {
            uint b = Bit(value[..ValueSize], i);
            _bits[b >> 6] |= 1UL << (int)(b & 63);
        }
        return 0;
    }

    private int Peek(ReadOnlySpan<byte> value)
    {
        for (int i = 0; i < HashCount; i++)
        {
            uint b = Bit(value[..ValueSize], i);
            if ((_bits[b >> 6] & (1UL << (int)(b & 63))) == 0)
                return Errno.ENOENT;
        }
        return 0;
    }

    protected override int UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags) => Push(value, flags);
    protected override int LookupCore(ReadOnlySpan<byte> key, Span<byte> value) => Peek(value);
    protected override int DeleteCore(ReadOnlySpan<byte> key) => Errno.EOPNOTSUPP;
    protected override int NextKeyCore(ReadOnlySpan<byte> key, Span<byte> nextKey) => Errno.EOPNOTSUPP;

    public override long PushFromProgram(byte* value, ulong flags)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            return -Push(new ReadOnlySpan<byte>(value, ValueSize), flags);
        }
    }

    public override long PeekFromProgram(byte* value)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            return -Peek(new ReadOnlySpan<byte>(value, ValueSize));
        }
    }

    protected override void ReleaseStorage() { }
}
