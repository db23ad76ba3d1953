using SharpBpf.Objects;

namespace SharpBpf.Vm.Maps;

/// <summary>
/// QUEUE (FIFO) and STACK (LIFO): a ring of max_entries values. Push with BPF_EXIST on a full map overwrites
/// the oldest value (for both kinds, as the kernel); push on a full map otherwise fails with E2BIG; pop and
/// peek on an empty map give ENOENT. User space pushes with update (no key), peeks with lookup and pops with
/// lookup-and-delete; delete and get_next_key are EINVAL. Values are copied in and out, so programs never hold
/// pointers into the map and it exposes no regions.
/// </summary>
public sealed unsafe class VmQueueStackMap : VmMap
{
    private readonly byte[] _ring;
    private readonly bool _isStack;
    private int _head; // next slot to write
    private int _tail; // oldest value
    private int _count;

    internal VmQueueStackMap(MapSpec spec) : base(spec, 1)
    {
        _isStack = spec.Type == BpfMapType.Stack;
        _ring = new byte[(long)ValueSize * MaxEntries];
    }

    public int Count { get { lock (Gate) return _count; } }

    private Span<byte> At(int slot) => _ring.AsSpan(slot * ValueSize, ValueSize);

    private int Push(ReadOnlySpan<byte> value, ulong flags)
    {
        if ((flags & BpfNoExist) != 0 || flags > BpfExist)
            return Errno.EINVAL;
        if (_count == MaxEntries)
        {
            if (flags != BpfExist)
                return Errno.E2BIG;
            _tail = (_tail + 1) % MaxEntries;
            _count--;
        }
        value[..ValueSize].CopyTo(At(_head));
        _head = (_head + 1) % MaxEntries;
        _count++;
        return 0;
    }

    private int Take(Span<byte> value, bool remove)
    {
        if (_count == 0)
            return Errno.ENOENT;
        int slot = _isStack ? (_head + MaxEntries - 1) % MaxEntries : _tail;
        At(slot).CopyTo(value);
        if (remove)
        {
            if (_isStack)
                _head = slot;
            else
                _tail = (_tail + 1) % MaxEntries;
            _count--;
        }
        return 0;
    }

    protected override int UpdateCore(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong flags) => Push(value, flags);
    protected override int LookupCore(ReadOnlySpan<byte> key, Span<byte> value) => Take(value, remove: false);
    protected override int LookupAndDeleteCore(ReadOnlySpan<byte> key, Span<byte> value) => Take(value, remove: true);
    protected override int DeleteCore(ReadOnlySpan<byte> key) => Errno.EINVAL;
    protected override int NextKeyCore(ReadOnlySpan<byte> key, Span<byte> nextKey) => Errno.EINVAL;

    public override long PushFromProgram(byte* value, ulong flags)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            return -Push(new ReadOnlySpan<byte>(value, ValueSize), flags);
        }
    }

    public override long PopFromProgram(byte* value)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            return -Take(new Span<byte>(value, ValueSize), remove: true);
        }
    }

    public override long PeekFromProgram(byte* value)
    {
        lock (Gate)
        {
            ThrowIfDisposed();
            return -Take(new Span<byte>(value, ValueSize), remove: false);
        }
    }

    protected override void ReleaseStorage() { }
}
