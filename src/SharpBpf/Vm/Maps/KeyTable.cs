using System.Numerics;

namespace SharpBpf.Vm.Maps;

/// <summary>
/// A fixed-capacity hash index from keys (byte strings of one size) to slot numbers 0..capacity-1, with no
/// allocation after construction. Keeps the slots in insertion order for iteration (get_next_key), and
/// optionally a recency order for LRU eviction. Not thread-safe: the owning map's lock guards it, except for
/// <see cref="FindConcurrent"/>, which readers may call without it (a seqlock: Add and Remove bump a version around their
/// changes; the arrays never move and hold only valid slot numbers, so a torn walk stays in bounds and is retried).
/// </summary>
internal sealed class KeyTable
{
    private readonly int _keySize;
    private readonly byte[] _keys;
    private readonly int[] _buckets;   // head slot per bucket, -1 when empty
    private readonly int[] _chain;     // next slot in the bucket, or the next free slot
    private readonly int[] _prev, _next; // insertion order
    private readonly int[]? _olderUse, _newerUse; // recency order (LRU only)
    private int _first = -1, _last = -1, _freeHead, _leastRecent = -1, _mostRecent = -1;
    private int _version; // odd while Add or Remove changes the bucket chains
    private readonly int _bucketShift; // 64 - log2(bucket count)

    public KeyTable(int keySize, int capacity, bool trackRecency)
    {
        _keySize = keySize;
        Capacity = capacity;
        _keys = new byte[(long)keySize * capacity];
        _buckets = new int[(int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 2))];
        Array.Fill(_buckets, -1);
        _bucketShift = 64 - BitOperations.Log2((uint)_buckets.Length);
        _chain = new int[capacity];
        _prev = new int[capacity];
        _next = new int[capacity];
        for (int i = 0; i < capacity; i++)
            _chain[i] = i + 1 < capacity ? i + 1 : -1;
        _freeHead = capacity > 0 ? 0 : -1;
        if (trackRecency)
        {
            _olderUse = new int[capacity];
            _newerUse = new int[capacity];
        }
    }

    public int Capacity { get; }
    public int Count { get; private set; }
    public bool IsFull => _freeHead < 0;

    /// <summary>The first slot in insertion order, or -1.</summary>
    public int First => _first;

    /// <summary>The slot after <paramref name="slot"/> in insertion order, or -1.</summary>
    public int Next(int slot) => _next[slot];

    /// <summary>The slot used least recently (LRU eviction victim), or -1.</summary>
    public int LeastRecentlyUsed => _leastRecent;

    public ReadOnlySpan<byte> Key(int slot) => _keys.AsSpan(slot * _keySize, _keySize);

    public int Find(ReadOnlySpan<byte> key)
    {
        for (int s = _buckets[Bucket(key)]; s >= 0; s = _chain[s])
            if (Key(s).SequenceEqual(key))
                return s;
        return -1;
    }

    /// <summary><see cref="Find"/> without the owner's lock, safe against a concurrent Add or Remove (retried when one ran).</summary>
    public int FindConcurrent(ReadOnlySpan<byte> key)
    {
        var spinner = new SpinWait();
        while (true)
        {
            int version = Volatile.Read(ref _version);
            if ((version & 1) == 0)
            {
                int slot = FindBounded(key);
                if (!System.Runtime.Intrinsics.X86.X86Base.IsSupported)
                    Interlocked.MemoryBarrier(); // the walk's loads before the version check (x86 keeps load order)
                if (slot != -2 && Volatile.Read(ref _version) == version)
                    return slot;
            }
            spinner.SpinOnce();
        }
    }

    /// <summary>Find that gives up (-2) after more steps than there are slots: a chain changed under a lock-free reader.</summary>
    private int FindBounded(ReadOnlySpan<byte> key)
    {
        int steps = 0;
        bool eight = _keySize == 8;
        ulong key8 = eight ? System.Runtime.InteropServices.MemoryMarshal.Read<ulong>(key) : 0;
        for (int s = Volatile.Read(ref _buckets[Bucket(key)]); s >= 0; s = _chain[s])
        {
            if (eight ? System.Runtime.InteropServices.MemoryMarshal.Read<ulong>(Key(s)) == key8 : Key(s).SequenceEqual(key))
                return s;
            if (++steps > Capacity)
                return -2;
        }
        return -1;
    }

    /// <summary>Adds a key known to be absent; -1 when the table is full.</summary>
    public int Add(ReadOnlySpan<byte> key)
    {
        int slot = _freeHead;
        if (slot < 0)
            return -1;
        Interlocked.Increment(ref _version);
        try
        {
            return AddCore(key, slot);
        }
        finally
        {
            Interlocked.Increment(ref _version);
        }
    }

    private int AddCore(ReadOnlySpan<byte> key, int slot)
    {
        _freeHead = _chain[slot];
        key.CopyTo(_keys.AsSpan(slot * _keySize, _keySize));
        int b = Bucket(key);
        _chain[slot] = _buckets[b];
        _buckets[b] = slot;
        _prev[slot] = _last;
        _next[slot] = -1;
        if (_last >= 0) _next[_last] = slot; else _first = slot;
        _last = slot;
        Count++;
        if (_olderUse is not null)
            LinkMostRecent(slot);
        return slot;
    }

    public void Remove(int slot)
    {
        Interlocked.Increment(ref _version);
        try
        {
            RemoveCore(slot);
        }
        finally
        {
            Interlocked.Increment(ref _version);
        }
    }

    private void RemoveCore(int slot)
    {
        int b = Bucket(Key(slot));
        if (_buckets[b] == slot)
            _buckets[b] = _chain[slot];
        else
        {
            int s = _buckets[b];
            while (_chain[s] != slot)
                s = _chain[s];
            _chain[s] = _chain[slot];
        }
        if (_prev[slot] >= 0) _next[_prev[slot]] = _next[slot]; else _first = _next[slot];
        if (_next[slot] >= 0) _prev[_next[slot]] = _prev[slot]; else _last = _prev[slot];
        if (_olderUse is not null)
            UnlinkRecency(slot);
        _chain[slot] = _freeHead;
        _freeHead = slot;
        Count--;
    }

    /// <summary>Marks a slot as just used (LRU); no-op without recency tracking.</summary>
    public void Touch(int slot)
    {
        if (_olderUse is null || _mostRecent == slot)
            return;
        UnlinkRecency(slot);
        LinkMostRecent(slot);
    }

    private void LinkMostRecent(int slot)
    {
        _olderUse![slot] = _mostRecent;
        _newerUse![slot] = -1;
        if (_mostRecent >= 0) _newerUse[_mostRecent] = slot; else _leastRecent = slot;
        _mostRecent = slot;
    }

    private void UnlinkRecency(int slot)
    {
        int older = _olderUse![slot], newer = _newerUse![slot];
        if (older >= 0) _newerUse[older] = newer; else _leastRecent = newer;
        if (newer >= 0) _olderUse[newer] = older; else _mostRecent = older;
    }

    private int Bucket(ReadOnlySpan<byte> key)
    {
        if (key.Length is 4 or 8)
        {
            // the common key sizes: Fibonacci hashing of the key as a number (its top bits pick the bucket)
            ulong x = key.Length == 8 ? System.Runtime.InteropServices.MemoryMarshal.Read<ulong>(key)
                : System.Runtime.InteropServices.MemoryMarshal.Read<uint>(key);
            return (int)((x * 0x9E3779B97F4A7C15UL) >> _bucketShift);
        }
        var h = new HashCode();
        h.AddBytes(key);
        return h.ToHashCode() & (_buckets.Length - 1);
    }
}
