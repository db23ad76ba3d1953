using System.Runtime.InteropServices;
using SharpBpf.Objects;

namespace SharpBpf.Vm.Maps;

/// <summary>
/// The common part of PROG_ARRAY, ARRAY_OF_MAPS and PERF_EVENT_ARRAY: u32 index keys, and values that user
/// space writes as u32 ids (the VM's file descriptors) resolved to live objects through the
/// <see cref="IVmObjectResolver"/>. As in the kernel: updates take BPF_ANY only, an index past the end is
/// E2BIG, an id naming nothing is EBADF, deleting an empty slot is ENOENT.
/// </summary>
public abstract unsafe class VmFdArray : VmMap
{
    private readonly IVmObjectResolver _resolver;
    private readonly object?[] _objects;
    private readonly uint[] _ids;

    private protected VmFdArray(MapSpec spec, IVmObjectResolver resolver) : base(spec, 1)
    {
        _resolver = resolver;
        _objects = new object?[MaxEntries];
        _ids = new uint[MaxEntries];
    }

    /// <summary>0 when <paramref name="target"/> may be stored in this array, else the errno.</summary>
    private protected abstract int Accept(object target);

    /// <summary>The object in slot <paramref name="index"/>, or null.</summary>
    protected object? Get(uint index)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            return index < (uint)MaxEntries ? _objects[index] : null;
        }
    }

    /// <summary>Stores an object directly (the engine's equivalent of writing its fd), bypassing the resolver.</summary>
    protected int Set(uint index, object target, uint id)
    {
        if (index >= (uint)MaxEntries)
            return Errno.E2BIG;
        int err = Accept(target);
        if (err != 0)
            return err;
        _objects[index] = target;
        _ids[index] = id;
        return 0;
    }

    protected override int UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        if (flags != BpfAny)
            return Errno.EINVAL;
        uint index = MemoryMarshal.Read<uint>(key);
        if (index >= (uint)MaxEntries)
            return Errno.E2BIG;
        uint id = MemoryMarshal.Read<uint>(value);
        var target = _resolver.Resolve((int)id);
        return target is null ? Errno.EBADF : Set(index, target, id);
    }

    protected override int LookupCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        if (!UserLookupReturnsId)
            return Errno.ENOTSUPP;
        uint index = MemoryMarshal.Read<uint>(key);
        if (index >= (uint)MaxEntries || _objects[index] is null)
            return Errno.ENOENT;
        MemoryMarshal.Write(value, _ids[index]);
        return 0;
    }

    /// <summary>Whether user-space lookup returns the stored id (programs, maps) or is ENOTSUPP (perf events).</summary>
    private protected virtual bool UserLookupReturnsId => true;

    protected override int DeleteCore(ReadOnlySpan<byte> key)
    {
        uint index = MemoryMarshal.Read<uint>(key);
        if (index >= (uint)MaxEntries)
            return Errno.E2BIG;
        if (_objects[index] is null)
            return Errno.ENOENT;
        _objects[index] = null;
        _ids[index] = 0;
        return 0;
    }

    protected override int NextKeyCore(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        uint index = key.IsEmpty ? uint.MaxValue : MemoryMarshal.Read<uint>(key);
        uint next = index >= (uint)MaxEntries ? 0 : index + 1;
        if (index == (uint)MaxEntries - 1)
            return Errno.ENOENT;
        MemoryMarshal.Write(nextKey, next);
        return 0;
    }

    protected override void ReleaseStorage() => Array.Clear(_objects);
}
