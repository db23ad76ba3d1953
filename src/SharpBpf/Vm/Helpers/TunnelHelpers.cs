using System.Buffers.Binary;
using SharpBpf.Vm.Contexts;

namespace SharpBpf.Vm.Helpers;

/// <summary>
/// bpf_skb_set_tunnel_key / bpf_skb_get_tunnel_key as net/core/filter.c has them. A test run's skb carries no tunnel
/// metadata, so a get before any set fails with EINVAL (the key cleared); a set stores transmit metadata on the run's skb,
/// which a later get in the same run reads back as the kernel does: receive-side names, so remote and local swap.
/// </summary>
internal static class TunnelHelpers
{
    private const int KeySize = 44; // sizeof(struct bpf_tunnel_key)
    private const int RemoteOff = 4, TosOff = 20, TtlOff = 21, ExtOff = 22, LabelOff = 24, LocalOff = 28;
    private const ulong TunInfoIpv6 = 1, ZeroCsumTx = 2, DontFragment = 4, SeqNumber = 8, NoTunnelKey = 16, TunInfoFlags = 16;
    // IP_TUNNEL_*_BIT positions, as ip_tunnel_flags_to_be16 reports them.
    private const ushort TunnelCsum = 1 << 0, TunnelKey = 1 << 2, TunnelSeq = 1 << 3, TunnelDontFragment = 1 << 8, TunnelNoCache = 1 << 13;

    public static void Register(VmHelperTable t)
    {
        t.Register("bpf_skb_set_tunnel_key", SetKey);
        t.Register("bpf_skb_get_tunnel_key", GetKey);
    }

    private static ulong Error(int errno) => unchecked((ulong)-errno);

    /// <summary>The shorter layouts of older UAPI headers the kernel still accepts (struct sizes up to a field).</summary>
    private static bool IsCompatSize(ulong size) => size is LocalOff or LabelOff or ExtOff or 8;

    private static ulong SetKey(VmCallContext vm, ulong ctx, ulong from, ulong size, ulong flags, ulong r5)
    {
        RequireTc(vm, "bpf_skb_set_tunnel_key");
        var given = vm.GetSpan(from, size, write: false);
        if ((flags & ~(TunInfoIpv6 | ZeroCsumTx | DontFragment | SeqNumber | NoTunnelKey)) != 0)
            return Error(Errno.EINVAL);
        if (size != KeySize && !IsCompatSize(size))
            return Error(Errno.EINVAL);
        var key = new byte[KeySize];
        given.CopyTo(key);
        bool v6 = (flags & TunInfoIpv6) != 0;
        if ((!v6 && U32(key, LabelOff) != 0) || BinaryPrimitives.ReadUInt16LittleEndian(key.AsSpan(ExtOff)) != 0)
            return Error(Errno.EINVAL);
        vm.Skb.TunnelKey = key;
        vm.Skb.TunnelFlags = flags;
        return 0;
    }

    private static ulong GetKey(VmCallContext vm, ulong ctx, ulong to, ulong size, ulong flags, ulong r5)
    {
        RequireTc(vm, "bpf_skb_get_tunnel_key");
        var dest = vm.GetSpan(to, size, write: true);
        int err = Fill(vm.Skb, size, flags, out var key);
        if (err != 0)
        {
            dest.Clear();
            return Error(err);
        }
        key.AsSpan(0, dest.Length).CopyTo(dest);
        return 0;
    }

    private static int Fill(SkbRunState skb, ulong size, ulong flags, out byte[] key)
    {
        key = new byte[KeySize];
        if (skb.TunnelKey is not { } set || (flags & ~(TunInfoIpv6 | TunInfoFlags)) != 0)
            return Errno.EINVAL;
        bool v6 = (skb.TunnelFlags & TunInfoIpv6) != 0;
        if (v6 != ((flags & TunInfoIpv6) != 0))
            return Errno.EPROTO;
        if (size != KeySize && (!IsCompatSize(size) || (size == 8 && v6)))
            return Errno.EINVAL;
        set.AsSpan(0, 4).CopyTo(key);                    // tunnel_id
        key[TosOff] = set[TosOff];
        key[TtlOff] = set[TtlOff];
        if ((flags & TunInfoFlags) != 0)
            BinaryPrimitives.WriteUInt16BigEndian(key.AsSpan(ExtOff), TunnelFlagBits(skb.TunnelFlags));
        // The stored key is the transmit side (dst = the given remote, src = the given local); get reads it as received.
        int addressBytes = v6 ? 16 : 4;
        set.AsSpan(LocalOff, addressBytes).CopyTo(key.AsSpan(RemoteOff));
        set.AsSpan(RemoteOff, addressBytes).CopyTo(key.AsSpan(LocalOff));
        if (v6)
            BinaryPrimitives.WriteUInt32LittleEndian(key.AsSpan(LabelOff), U32(set, LabelOff) & 0xfffff);
        return 0;
    }

    private static ushort TunnelFlagBits(ulong flags)
    {
        ushort bits = TunnelNoCache;
        if ((flags & DontFragment) != 0)
            bits |= TunnelDontFragment;
        if ((flags & ZeroCsumTx) == 0)
            bits |= TunnelCsum;
        if ((flags & SeqNumber) != 0)
            bits |= TunnelSeq;
        if ((flags & NoTunnelKey) == 0)
            bits |= TunnelKey;
        return bits;
    }

    private static uint U32(byte[] b, int off) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(off));

    internal static void RequireTc(VmCallContext vm, string helper)
    {
        if (vm.Context is not SkbContext)
            throw vm.Fault($"{helper} needs an __sk_buff context");
    }
}
