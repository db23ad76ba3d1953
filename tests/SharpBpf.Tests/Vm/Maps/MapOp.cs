using SharpBpf.Maps;
using SharpBpf.Vm.Maps;

namespace SharpBpf.Tests.Vm.Maps;

/// <summary>One user-space map operation, replayable on a VM map and on a kernel map (through bpftool).</summary>
public abstract record MapOp
{
    public sealed record Update(byte[] Key, byte[] Value, string Flags = "any") : MapOp;
    public sealed record Delete(byte[] Key) : MapOp;
    public sealed record Lookup(byte[] Key) : MapOp;
    public sealed record GetNext(byte[]? Key) : MapOp;
    public sealed record Push(byte[] Value, string Flags = "any") : MapOp;
    public sealed record Pop : MapOp;
    public sealed record Peek : MapOp;

    /// <summary>What the kernel did, as one comparable line.</summary>
    public string OnKernel(BpftoolMap map) => this switch
    {
        Update u => Line(map.Update(u.Key, u.Value, u.Flags)),
        Delete d => Line(map.Delete(d.Key)),
        Lookup l => Line(map.Lookup(l.Key)),
        GetNext n => Line(map.GetNext(n.Key)),
        Push p => Line(map.PushWithFlags(p.Value, p.Flags)),
        Pop => Line(map.Pop()),
        Peek => Line(map.Peek()),
        _ => throw new NotSupportedException(),
    };

    /// <summary>What the VM did, as one comparable line. Per-CPU values given once are replicated to every CPU, as bpftool does.</summary>
    public string OnVm(IBpfMap map)
    {
        try
        {
            switch (this)
            {
                case Update u:
                    map.Update(u.Key, PerCpu(map, u.Value), ParseFlags(u.Flags));
                    return Line(0);
                case Delete d:
                    return Line(map.Delete(d.Key) ? 0 : Errno.ENOENT);
                case Lookup l:
                {
                    var v = new byte[map.UserValueSize];
                    return map.TryLookup(l.Key, v) ? Line((0, v)) : Line(Errno.ENOENT);
                }
                case GetNext n:
                {
                    var next = new byte[map.KeySize];
                    return map.TryGetNextKey(n.Key ?? [], next) ? Line((0, next)) : Line(Errno.ENOENT);
                }
                case Push p:
                    map.Update([], p.Value, ParseFlags(p.Flags));
                    return Line(0);
                case Pop:
                {
                    var v = new byte[map.UserValueSize];
                    return map.TryLookupAndDelete([], v) ? Line((0, v)) : Line(Errno.ENOENT);
                }
                case Peek:
                {
                    var v = new byte[map.UserValueSize];
                    return map.TryLookup([], v) ? Line((0, v)) : Line(Errno.ENOENT);
                }
            }
        }
        catch (BpfMapException e)
        {
            return Line(e.ErrorNumber);
        }
        throw new NotSupportedException();
    }

    private static byte[] PerCpu(IBpfMap map, byte[] value)
    {
        if (map.UserValueSize == value.Length)
            return value;
        var stride = (map.ValueSize + 7) & ~7;
        var all = new byte[map.UserValueSize];
        for (int off = 0; off < all.Length; off += stride)
            value.CopyTo(all, off);
        return all;
    }

    private static MapUpdateFlags ParseFlags(string flags) => flags switch
    {
        "noexist" => MapUpdateFlags.NoExist,
        "exist" => MapUpdateFlags.Exist,
        _ => MapUpdateFlags.Any,
    };

    private string Line(int errno) => $"{GetType().Name} {Describe()} -> {(errno == 0 ? "ok" : Errno.Name(errno))}";
    private string Line((int Errno, byte[]? Value) r) =>
        r.Errno != 0 ? Line(r.Errno) : $"{GetType().Name} {Describe()} -> ok {Convert.ToHexString(r.Value!)}";

    private string Describe() => this switch
    {
        Update u => $"{Convert.ToHexString(u.Key)}={Convert.ToHexString(u.Value)} {u.Flags}",
        Delete d => Convert.ToHexString(d.Key),
        Lookup l => Convert.ToHexString(l.Key),
        GetNext n => n.Key is null ? "(first)" : Convert.ToHexString(n.Key),
        Push p => $"{Convert.ToHexString(p.Value)} {p.Flags}",
        _ => "",
    };
}
