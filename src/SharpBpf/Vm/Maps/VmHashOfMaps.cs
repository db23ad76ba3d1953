using System.Runtime.InteropServices;
using SharpBpf.Objects;

namespace SharpBpf.Vm.Maps;

/// <summary>
/// HASH_OF_MAPS: keys as in a hash map (insertion-order iteration), values are inner maps stored by user space as
/// map ids, resolved through the <see cref="IVmObjectResolver"/> and checked against the
/// <see cref="MapSpec.InnerMap"/> template. A program's lookup yields the inner map through <see cref="GetInner"/>.
/// </summary>
public sealed unsafe class VmHashOfMaps : VmMap, IVmMapOfMaps
{
    private readonly IVmObjectResolver _resolver;
    private readonly MapSpec _template;
    private readonly KeyTable _table;
    private readonly IVmMap?[] _maps;
    private readonly uint[] _ids;

    internal VmHashOfMaps(MapSpec spec, IVmObjectResolver resolver) : base(spec, 1)
    {
        _resolver = resolver;
        _template = spec.InnerMap!.Clone();
        _table = new KeyTable(KeySize, MaxEntries, trackRecency: false);
        _maps = new IVmMap?[MaxEntries];
        _ids = new uint[MaxEntries];
    }

    public IVmMap? GetInner(byte* key)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            int slot = _table.Find(new ReadOnlySpan<byte>(key, KeySize));
            return slot < 0 ? null : _maps[slot];
        }
    }

    protected override int UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        if (flags > BpfExist)
            return Errno.EINVAL;
        uint id = MemoryMarshal.Read<uint>(value);
        var target = _resolver.Resolve((int)id);
        if (target is null)
            return Errno.EBADF;
        int err = InnerMapTemplate.Check(_template, target);
        if (err != 0)
            return err;
        int slot = _table.Find(key);
        if (slot >= 0 && flags == BpfNoExist)
            return Errno.EEXIST;
        if (slot < 0 && flags == BpfExist)
            return Errno.ENOENT;
        if (slot < 0 && (slot = _table.Add(key)) < 0)
            return Errno.E2BIG;
        _maps[slot] = (IVmMap)target;
        _ids[slot] = id;
        return 0;
    }

    protected override int LookupCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        int slot = _table.Find(key);
        if (slot < 0)
            return Errno.ENOENT;
        MemoryMarshal.Write(value, _ids[slot]);
        return 0;
    }

    protected override int DeleteCore(ReadOnlySpan<byte> key)
    {
        int slot = _table.Find(key);
        if (slot < 0)
            return Errno.ENOENT;
        _maps[slot] = null;
        _table.Remove(slot);
        return 0;
    }

    protected override int NextKeyCore(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        int slot = key.IsEmpty ? -1 : _table.Find(key);
        int next = slot < 0 ? _table.First : _table.Next(slot);
        if (next < 0)
            return Errno.ENOENT;
        _table.Key(next).CopyTo(nextKey);
        return 0;
    }

    public override long DeleteFromProgram(byte* key)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            return -DeleteCore(new ReadOnlySpan<byte>(key, KeySize));
        }
    }

    protected override void ReleaseStorage() => Array.Clear(_maps);
}
