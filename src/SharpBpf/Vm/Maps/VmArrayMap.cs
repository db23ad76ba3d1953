using System.Runtime.InteropServices;
using SharpBpf.Objects;

namespace SharpBpf.Vm.Maps;

/// <summary>
/// ARRAY and PERCPU_ARRAY, including the global-data maps (.data, .bss, .rodata, .kconfig: one entry,
/// initialised from <see cref="MapSpec.InitialValue"/>; the read-only ones expose a non-writable region).
/// Every element exists from creation, zeroed, each round8(value_size) bytes apart in one native block
/// (per-CPU arrays: one such block per CPU, back to back). Keys are u32 indexes in host byte order.
/// </summary>
public sealed unsafe class VmArrayMap : VmMap
{
    private readonly NativeBlock _values;
    private readonly int _elemSize;

    internal VmArrayMap(MapSpec spec, int cpuCount)
        : base(spec, spec.Type == BpfMapType.PercpuArray ? cpuCount : 1)
    {
        IsPerCpu = spec.Type == BpfMapType.PercpuArray;
        _elemSize = Round8(ValueSize);
        _values = new NativeBlock((long)_elemSize * MaxEntries * CpuCount);
        if (spec.InitialValue is { } init)
            init.AsSpan(0, Math.Min(init.Length, ValueSize)).CopyTo(new Span<byte>(_values.Start, ValueSize));
        bool programMayWrite = !spec.IsReadOnlyData && (CreateFlags & BpfMapCreateFlags.ReadOnlyProgram) == 0;
        SetRegions(_values.Region(programMayWrite));
    }

    public bool IsPerCpu { get; }

    public override int UserValueSize => IsPerCpu ? _elemSize * CpuCount : ValueSize;

    /// <summary>The address of element <paramref name="index"/> for <paramref name="cpu"/> (programs, direct value access).</summary>
    public byte* ElementAddress(uint index, int cpu = 0)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            return index < (uint)MaxEntries ? Element(index, cpu) : null;
        }
    }

    private byte* Element(uint index, int cpu) =>
        _values.Start + ((long)((uint)cpu < (uint)CpuCount ? cpu : 0) * MaxEntries + index) * _elemSize;

    private static uint Index(ReadOnlySpan<byte> key) => MemoryMarshal.Read<uint>(key);

    protected override int LookupCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        uint index = Index(key);
        if (index >= (uint)MaxEntries)
            return Errno.ENOENT;
        if (!IsPerCpu)
            new ReadOnlySpan<byte>(Element(index, 0), ValueSize).CopyTo(value);
        else
            for (int cpu = 0; cpu < CpuCount; cpu++)
                new ReadOnlySpan<byte>(Element(index, cpu), _elemSize).CopyTo(value[(cpu * _elemSize)..]);
        return 0;
    }

    protected override int UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags)
    {
        int err = Check(Index(key), flags);
        if (err != 0)
            return err;
        uint index = Index(key);
        if (!IsPerCpu)
            value[..ValueSize].CopyTo(new Span<byte>(Element(index, 0), ValueSize));
        else
            for (int cpu = 0; cpu < CpuCount; cpu++)
                value.Slice(cpu * _elemSize, _elemSize).CopyTo(new Span<byte>(Element(index, cpu), _elemSize));
        return 0;
    }

    private int Check(uint index, ulong flags)
    {
        if ((flags & ~BpfFLock) > BpfExist)
            return Errno.EINVAL;
        if (index >= (uint)MaxEntries)
            return Errno.E2BIG;
        if ((flags & BpfNoExist) != 0)
            return Errno.EEXIST;
        return 0;
    }

    protected override int DeleteCore(ReadOnlySpan<byte> key) => Errno.EINVAL;

    protected override int NextKeyCore(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        uint index = key.IsEmpty ? uint.MaxValue : Index(key);
        uint next;
        if (index >= (uint)MaxEntries)
            next = 0;
        else if (index == (uint)MaxEntries - 1)
            return Errno.ENOENT;
        else
            next = index + 1;
        BitConverter.TryWriteBytes(nextKey, next);
        return 0;
    }

    public override byte* LookupFromProgram(byte* key, int cpu)
    {
        ThrowIfDisposed();
        uint index = *(uint*)key;
        return index < (uint)MaxEntries ? Element(index, cpu) : null;
    }

    public override long UpdateFromProgram(byte* key, byte* value, ulong flags, int cpu)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            uint index = *(uint*)key;
            int err = Check(index, flags);
            if (err != 0)
                return -err;
            Buffer.MemoryCopy(value, Element(index, cpu), ValueSize, ValueSize);
            return 0;
        }
    }

    public override long DeleteFromProgram(byte* key) => -Errno.EINVAL;

    protected override void ReleaseStorage() => _values.Dispose();
}
