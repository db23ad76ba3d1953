using System.Runtime.InteropServices;
using SharpBpf.Objects;

namespace SharpBpf.Vm.Maps;

/// <summary>
/// LPM_TRIE: keys are a host-order u32 prefix length followed by key_size-4 data bytes (most significant bit
/// first); lookup returns the value of the longest stored prefix matching the key (limited to the key's own
/// prefix length). The trie has the kernel's shape (a path-compressed binary trie with intermediate nodes,
/// kernel/bpf/lpm_trie.c), so get_next_key walks it in the kernel's post-order: more specific prefixes before
/// the prefixes containing them, 0-branch before 1-branch; a missing key restarts at the leftmost node.
/// Updating a prefix replaces its key bytes (bits past the prefix length included, as the kernel stores them) and
/// writes the value in place. Full map: ENOSPC. Values sit in one preallocated native block.
/// </summary>
public sealed unsafe class VmLpmTrie : VmMap
{
    private sealed class Node(uint prefixLen, byte[] data)
    {
        public readonly Node?[] Child = new Node?[2];
        public uint PrefixLen = prefixLen;
        public byte[] Data = data;
        public bool Intermediate;
        public int Slot = -1;
    }

    private readonly NativeBlock _values;
    private readonly int _stride;
    private readonly Stack<int> _freeSlots = new();
    private readonly int _dataSize;
    private readonly uint _maxPrefixLen;
    private Node? _root;

    internal VmLpmTrie(MapSpec spec) : base(spec, 1)
    {
        _dataSize = KeySize - 4;
        _maxPrefixLen = (uint)_dataSize * 8;
        _stride = Round8(ValueSize);
        _values = new NativeBlock((long)_stride * MaxEntries);
        for (int i = MaxEntries - 1; i >= 0; i--)
            _freeSlots.Push(i);
        SetRegions(_values.Region(writable: (CreateFlags & BpfMapCreateFlags.ReadOnlyProgram) == 0));
    }

    /// <summary>The number of prefixes stored.</summary>
    public int Count { get { lock (Gate) return MaxEntries - _freeSlots.Count; } }

    private byte* Value(Node n) => _values.Start + (long)n.Slot * _stride;

    private static uint PrefixLen(ReadOnlySpan<byte> key) => MemoryMarshal.Read<uint>(key);

    private static int Bit(ReadOnlySpan<byte> data, uint index) => (data[(int)(index / 8)] >> (int)(7 - index % 8)) & 1;

    /// <summary>How many leading bits of the node and the key agree, up to the shorter of their prefix lengths.</summary>
    private static uint Match(Node node, uint keyPrefixLen, ReadOnlySpan<byte> keyData)
    {
        uint limit = Math.Min(node.PrefixLen, keyPrefixLen);
        uint matched = 0;
        for (int i = 0; matched < limit; i++)
        {
            int diff = node.Data[i] ^ keyData[i];
            if (diff != 0)
                return Math.Min(limit, matched + (uint)(System.Numerics.BitOperations.LeadingZeroCount((uint)diff) - 24));
            matched += 8;
        }
        return Math.Min(limit, matched);
    }

    private Node? Find(ReadOnlySpan<byte> key)
    {
        uint plen = PrefixLen(key);
        var data = key[4..];
        Node? found = null;
        for (var node = _root; node is not null;)
        {
            uint matched = Match(node, plen, data);
            if (matched == _maxPrefixLen)
                return node;
            if (matched < node.PrefixLen)
                break;
            if (!node.Intermediate)
                found = node;
            node = node.Child[Bit(data, node.PrefixLen)];
        }
        return found;
    }

    private int Update(ReadOnlySpan<byte> key, byte* value, ulong flags)
    {
        if (flags > BpfExist)
            return Errno.EINVAL;
        uint plen = PrefixLen(key);
        if (plen > _maxPrefixLen)
            return Errno.EINVAL;
        var data = key[4..];

        Node? parent = null;
        int dir = 0;
        Node? node = _root;
        uint matched = 0;
        while (node is not null)
        {
            matched = Match(node, plen, data);
            if (node.PrefixLen != matched || node.PrefixLen == plen || node.PrefixLen == _maxPrefixLen)
                break;
            parent = node;
            dir = Bit(data, node.PrefixLen);
            node = node.Child[dir];
        }

        int err;
        if (node is not null && node.PrefixLen == matched)
        {
            // The exact prefix exists (as an entry, or as an intermediate node that now becomes one).
            if (!node.Intermediate)
            {
                if (flags == BpfNoExist)
                    return Errno.EEXIST;
            }
            else if ((err = CheckAdd(flags)) != 0)
                return err;
            else
            {
                node.Intermediate = false;
                node.Slot = _freeSlots.Pop();
            }
            node.Data = data.ToArray();
            Buffer.MemoryCopy(value, Value(node), ValueSize, ValueSize);
            return 0;
        }

        if ((err = CheckAdd(flags)) != 0)
            return err;
        var fresh = new Node(plen, data.ToArray()) { Slot = _freeSlots.Pop() };
        Buffer.MemoryCopy(value, Value(fresh), ValueSize, ValueSize);
        if (node is null)
            Attach(parent, dir, fresh);
        else if (matched == plen)
        {
            // The new prefix contains the node: insert it above.
            fresh.Child[Bit(node.Data, matched)] = node;
            Attach(parent, dir, fresh);
        }
        else
        {
            var fork = new Node(matched, (byte[])node.Data.Clone()) { Intermediate = true };
            int newSide = Bit(data, matched);
            fork.Child[newSide] = fresh;
            fork.Child[1 - newSide] = node;
            Attach(parent, dir, fork);
        }
        return 0;
    }

    private int CheckAdd(ulong flags)
    {
        if (flags == BpfExist)
            return Errno.ENOENT;
        return _freeSlots.Count == 0 ? Errno.ENOSPC : 0;
    }

    private void Attach(Node? parent, int dir, Node? node)
    {
        if (parent is null)
            _root = node;
        else
            parent.Child[dir] = node;
    }

    private int Remove(ReadOnlySpan<byte> key)
    {
        uint plen = PrefixLen(key);
        if (plen > _maxPrefixLen)
            return Errno.EINVAL;
        var data = key[4..];
        Node? parent = null, grandparent = null;
        int dir = 0, parentDir = 0;
        Node? node = _root;
        uint matched = 0;
        while (node is not null)
        {
            matched = Match(node, plen, data);
            if (node.PrefixLen != matched || node.PrefixLen == plen)
                break;
            grandparent = parent;
            parentDir = dir;
            parent = node;
            dir = Bit(data, node.PrefixLen);
            node = node.Child[dir];
        }
        if (node is null || node.PrefixLen != plen || node.PrefixLen != matched || node.Intermediate)
            return Errno.ENOENT;

        _freeSlots.Push(node.Slot);
        node.Slot = -1;
        if (node.Child[0] is not null && node.Child[1] is not null)
        {
            node.Intermediate = true;
            return 0;
        }
        if (parent is { Intermediate: true } && node.Child[0] is null && node.Child[1] is null)
        {
            // Drop the intermediate parent too: its other child takes its place.
            Attach(grandparent, parentDir, parent.Child[1 - dir]);
            return 0;
        }
        Attach(parent, dir, node.Child[0] ?? node.Child[1]);
        return 0;
    }

    private int NextKey(ReadOnlySpan<byte> key, Span<byte> next)
    {
        Node? searchRoot = _root;
        if (searchRoot is null)
            return Errno.ENOENT;
        Node? result = null;
        if (!key.IsEmpty && PrefixLen(key) <= _maxPrefixLen)
        {
            uint plen = PrefixLen(key);
            var data = key[4..];
            var path = new List<Node>();
            Node? node = searchRoot;
            uint matched = 0;
            while (node is not null)
            {
                path.Add(node);
                matched = Match(node, plen, data);
                if (node.PrefixLen != matched || node.PrefixLen == plen)
                    break;
                node = node.Child[Bit(data, node.PrefixLen)];
            }
            if (node is not null && node.PrefixLen == plen && matched == plen && !node.Intermediate)
            {
                // The first node after the exact match in post-order.
                searchRoot = null;
                node = path[^1];
                for (int i = path.Count - 1; i > 0 && result is null && searchRoot is null; i--)
                {
                    var up = path[i - 1];
                    if (up.Child[0] == node && up.Child[1] is not null)
                        searchRoot = up.Child[1];
                    else if (!up.Intermediate)
                        result = up;
                    node = up;
                }
                if (result is null && searchRoot is null)
                    return Errno.ENOENT;
            }
        }
        if (result is null)
        {
            // The leftmost entry: descend preferring the 0-branch; intermediate nodes always have two children.
            for (var node = searchRoot; node is not null;)
            {
                if (node.Intermediate)
                    node = node.Child[0];
                else
                {
                    result = node;
                    node = node.Child[0] ?? node.Child[1];
                }
            }
        }
        MemoryMarshal.Write(next, result!.PrefixLen);
        result.Data.CopyTo(next[4..]);
        return 0;
    }

    protected override int LookupCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        var node = Find(key);
        if (node is null)
            return Errno.ENOENT;
        new ReadOnlySpan<byte>(Value(node), ValueSize).CopyTo(value);
        return 0;
    }

    protected override int UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        fixed (byte* v = value)
            return Update(key, v, flags);
    }

    protected override int DeleteCore(ReadOnlySpan<byte> key) => Remove(key);
    protected override int NextKeyCore(ReadOnlySpan<byte> key, Span<byte> nextKey) => NextKey(key, nextKey);

    public override byte* LookupFromProgram(byte* key, int cpu)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            var node = Find(new ReadOnlySpan<byte>(key, KeySize));
            return node is null ? null : Value(node);
        }
    }

    public override long UpdateFromProgram(byte* key, byte* value, ulong flags, int cpu)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            return -Update(new ReadOnlySpan<byte>(key, KeySize), value, flags);
        }
    }

    public override long DeleteFromProgram(byte* key)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            return -Remove(new ReadOnlySpan<byte>(key, KeySize));
        }
    }

    protected override void ReleaseStorage()
    {
        _root = null;
        _values.Dispose();
    }
}
