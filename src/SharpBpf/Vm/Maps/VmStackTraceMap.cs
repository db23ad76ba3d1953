using System.Numerics;
using System.Runtime.InteropServices;
using SharpBpf.Objects;
using F = SharpBpf.Vm.Maps.BpfMapCreateFlags;

namespace SharpBpf.Vm.Maps;

/// <summary>
/// STACK_TRACE: stack ids (u32 keys, a bucket index) to arrays of u64 instruction addresses, filled by bpf_get_stackid
/// as kernel/bpf/stackmap.c does (bucket = hash &amp; (buckets - 1); another stack in the bucket is EEXIST unless
/// BPF_F_REUSE_STACKID). User space may look up, walk and delete, not update (EINVAL); programs cannot look up.
/// What the VM records as a stack is a stand-in (see <see cref="Helpers.StackHelpers"/>).
/// </summary>
public sealed class VmStackTraceMap : VmMap
{
    private const int MaxStack = 127; // sysctl kernel.perf_event_max_stack's default
    private readonly ulong[]?[] _stacks;
    private readonly uint[] _hashes;

    internal VmStackTraceMap(MapSpec spec) : base(spec, 1)
    {
        _stacks = new ulong[]?[(int)BitOperations.RoundUpToPowerOf2((uint)MaxEntries)];
        _hashes = new uint[_stacks.Length];
        SetRegions();
    }

    internal static void Validate(MapSpec spec)
    {
        if (((F)spec.Flags & ~(F.NumaNode | F.ReadOnly | F.WriteOnly | F.StackBuildId)) != 0
            || spec.MaxEntries == 0 || spec.KeySize != 4 || spec.ValueSize < 8 || spec.ValueSize % 8 != 0)
            throw new BpfMapCreateException(spec, Errno.EINVAL, "STACK_TRACE needs key_size 4, value_size a multiple of 8, max_entries > 0");
        if (((F)spec.Flags & F.StackBuildId) != 0)
            throw new BpfMapCreateException(spec, Errno.EOPNOTSUPP, "BPF_F_STACK_BUILD_ID: the VM has no executables to take build ids from");
        if (spec.ValueSize / 8 > MaxStack)
            throw new BpfMapCreateException(spec, Errno.EINVAL, $"value_size above {MaxStack} frames (kernel.perf_event_max_stack)");
        if ((uint)spec.MaxEntries > 1u << 31)
            throw new BpfMapCreateException(spec, Errno.E2BIG, "max_entries above 2^31");
    }

    /// <summary>bpf_get_stackid's bucket logic: the id, or -EEXIST when another stack holds the bucket.</summary>
    internal long Store(ReadOnlySpan<ulong> ips, bool reuse)
    {
        uint hash = 2166136261;
        foreach (ulong ip in ips)
            hash = BitOperations.RotateLeft((hash ^ (uint)ip ^ (uint)(ip >> 32)) * 16777619, 7);
        lock (Gate)
        {
            ThrowIfDisposed();
            int id = (int)(hash & (uint)(_stacks.Length - 1));
            if (_stacks[id] is { } old && _hashes[id] == hash && old.AsSpan().SequenceEqual(ips))
                return id;
            if (_stacks[id] is not null && !reuse)
                return -Errno.EEXIST;
            _stacks[id] = ips.ToArray();
            _hashes[id] = hash;
            return id;
        }
    }

    protected override int LookupCore(ReadOnlySpan<byte> key, Span<byte> value)
    {
        uint id = MemoryMarshal.Read<uint>(key);
        if (id >= (uint)_stacks.Length || _stacks[id] is not { } stack)
            return Errno.ENOENT;
        value[..ValueSize].Clear();
        MemoryMarshal.AsBytes(stack.AsSpan()).CopyTo(value);
        return 0;
    }

    protected override int UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags) => Errno.EINVAL;

    protected override int DeleteCore(ReadOnlySpan<byte> key)
    {
        uint id = MemoryMarshal.Read<uint>(key);
        if (id >= (uint)_stacks.Length)
            return Errno.E2BIG;
        if (_stacks[id] is null)
            return Errno.ENOENT;
        _stacks[id] = null;
        return 0;
    }

    protected override int NextKeyCore(ReadOnlySpan<byte> key, Span<byte> nextKey)
    {
        uint id = 0;
        if (!key.IsEmpty)
        {
            id = MemoryMarshal.Read<uint>(key);
            id = id >= (uint)_stacks.Length || _stacks[id] is null ? 0 : id + 1;
        }
        while (id < (uint)_stacks.Length && _stacks[id] is null)
            id++;
        if (id >= (uint)_stacks.Length)
            return Errno.ENOENT;
        MemoryMarshal.Write(nextKey, id);
        return 0;
    }

    protected override void ReleaseStorage() => Array.Clear(_stacks);
}
