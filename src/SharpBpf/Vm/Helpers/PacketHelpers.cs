using System.Runtime.CompilerServices;
using SharpBpf.Vm.Contexts;
using SharpBpf.Vm.Maps;

namespace SharpBpf.Vm.Helpers;

/// <summary>Packet helpers (XDP adjust, skb load/store bytes), checksums and redirects, with the kernel's checks and return values.</summary>
internal static unsafe class PacketHelpers
{
    private const int EthHeader = 14;
    private const ulong XdpAborted = 0, XdpRedirect = 4, TcActShot = 2, TcActRedirect = 7;
    private const ulong FlagIngress = 1;           // BPF_F_INGRESS
    private const ulong HdrFieldMask = 0xf;        // BPF_F_HDR_FIELD_MASK
    private const ulong PseudoHdr = 0x10, MarkMangled0 = 0x20, MarkEnforce = 0x40, Ipv6 = 0x80;

    public static void Register(VmHelperTable t)
    {
        t.Register("bpf_xdp_adjust_head", AdjustHead);
        t.Register("bpf_xdp_adjust_meta", AdjustMeta);
        t.Register("bpf_xdp_adjust_tail", AdjustTail);
        t.Register("bpf_xdp_get_buff_len", (vm, _, _, _, _, _) =>
        {
            RequireXdp(vm, "bpf_xdp_get_buff_len");
            return (ulong)(vm.DataEnd - vm.Data);
        });
        t.Register("bpf_skb_load_bytes", SkbLoadBytes);
        t.Register("bpf_skb_store_bytes", SkbStoreBytes);
        t.Register("bpf_csum_diff", CsumDiff);
        t.Register("bpf_l3_csum_replace", L3CsumReplace);
        t.Register("bpf_l4_csum_replace", L4CsumReplace);
        t.Register("bpf_redirect", Redirect);
        t.Register("bpf_redirect_map", RedirectMap);
    }

    private static void RequireXdp(VmCallContext vm, string helper)
    {
        if (vm.Context is not XdpContext)
            throw vm.Fault($"{helper} needs an XDP context");
    }

    private static void RequireSkb(VmCallContext vm, string helper)
    {
        if (vm.Context is not SkbContext)
            throw vm.Fault($"{helper} needs an __sk_buff context");
    }

    private static ulong Error(int errno) => unchecked((ulong)-errno);

    private static ulong AdjustHead(VmCallContext vm, ulong ctx, ulong offset, ulong r3, ulong r4, ulong r5)
    {
        RequireXdp(vm, "bpf_xdp_adjust_head");
        long delta = (int)offset;
        nint metaLength = vm.Data - vm.DataMeta;
        nint data = vm.Data + (nint)delta;
        if (data < vm.HardStart + metaLength + XdpContext.XdpFrameSize || data > vm.DataEnd - EthHeader)
            return Error(Errno.EINVAL);
        if (metaLength > 0)
            Buffer.MemoryCopy((void*)vm.DataMeta, (void*)(vm.DataMeta + (nint)delta), metaLength, metaLength);
        vm.DataMeta += (nint)delta;
        vm.Data = data;
        return 0;
    }

    private static ulong AdjustMeta(VmCallContext vm, ulong ctx, ulong offset, ulong r3, ulong r4, ulong r5)
    {
        RequireXdp(vm, "bpf_xdp_adjust_meta");
        nint meta = vm.DataMeta + (nint)(long)(int)offset;
        if (meta < vm.HardStart + XdpContext.XdpFrameSize || meta > vm.Data)
            return Error(Errno.EINVAL);
        long metaLength = vm.Data - meta;
        if (metaLength % 4 != 0 || metaLength > XdpContext.MaxMetaLength)
            return Error(Errno.EACCES);
        vm.DataMeta = meta;
        return 0;
    }

    private static ulong AdjustTail(VmCallContext vm, ulong ctx, ulong offset, ulong r3, ulong r4, ulong r5)
    {
        RequireXdp(vm, "bpf_xdp_adjust_tail");
        long delta = (int)offset;
        nint end = vm.DataEnd + (nint)delta;
        if (end > vm.HardEnd || end < vm.Data + EthHeader)
            return Error(Errno.EINVAL);
        if (delta > 0)
            new Span<byte>((void*)vm.DataEnd, (int)delta).Clear();
        vm.DataEnd = end;
        return 0;
    }

    private static ulong SkbLoadBytes(VmCallContext vm, ulong ctx, ulong offset, ulong to, ulong len, ulong r5)
    {
        RequireSkb(vm, "bpf_skb_load_bytes");
        var dst = vm.GetSpan(to, len, write: true);
        long packetLength = vm.DataEnd - vm.Data;
        if (offset > int.MaxValue || (long)offset + dst.Length > packetLength)
        {
            dst.Clear();
            return Error(Errno.EFAULT);
        }
        new ReadOnlySpan<byte>((void*)(vm.Data + (nint)offset), dst.Length).CopyTo(dst);
        return 0;
    }

    private static ulong SkbStoreBytes(VmCallContext vm, ulong ctx, ulong offset, ulong from, ulong len, ulong flags)
    {
        RequireSkb(vm, "bpf_skb_store_bytes");
        if ((flags & ~3UL) != 0) // BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH
            return Error(Errno.EINVAL);
        var src = vm.GetSpan(from, len, write: false);
        long packetLength = vm.DataEnd - vm.Data;
        if (offset > 0xffff || (long)offset + src.Length > packetLength || !vm.PacketWritable)
            return Error(Errno.EFAULT);
        src.CopyTo(new Span<byte>((void*)(vm.Data + (nint)offset), src.Length));
        return 0;
    }

    /// <summary>bpf_csum_diff: the 32-bit one's complement sum of ~from words and to words, plus seed (csum_partial).</summary>
    private static ulong CsumDiff(VmCallContext vm, ulong from, ulong fromSize, ulong to, ulong toSize, ulong seed)
    {
        if (((fromSize | toSize) & 3) != 0 || fromSize + toSize > 512)
            return Error(Errno.EINVAL);
        var a = vm.GetSpan(from, fromSize, write: false);
        var b = vm.GetSpan(to, toSize, write: false);
        ulong sum = (uint)seed;
        for (int i = 0; i < a.Length; i += 4)
            sum += ~Unsafe.ReadUnaligned<uint>(ref a[i]);
        for (int i = 0; i < b.Length; i += 4)
            sum += Unsafe.ReadUnaligned<uint>(ref b[i]);
        return Fold32(sum);
    }

    private static uint Fold32(ulong sum)
    {
        while ((sum >> 32) != 0)
            sum = (sum & 0xffffffff) + (sum >> 32);
        return (uint)sum;
    }

    private static ushort Fold16(uint sum)
    {
        ulong s = sum;
        while ((s >> 16) != 0)
            s = (s & 0xffff) + (s >> 16);
        return (ushort)s;
    }

    /// <summary>The checksum field at <paramref name="offset"/> in the packet, after the kernel's bounds and writability checks.</summary>
    private static ushort* SumField(VmCallContext vm, ulong offset)
    {
        if (offset > 0xffff || (long)offset + 2 > vm.DataEnd - vm.Data || !vm.PacketWritable)
            return null;
        return (ushort*)(vm.Data + (nint)offset);
    }

    /// <summary>RFC 1624 incremental update: HC' = ~(~HC + ~m + m'), on values as they are in memory.</summary>
    private static void Replace(ushort* sum, ulong from, ulong to, int size)
    {
        uint acc = (ushort)~Unsafe.ReadUnaligned<ushort>(sum);
        ulong total = acc;
        switch (size)
        {
            case 0:
                total += (uint)to; // a precomputed difference (csum_replace_by_diff)
                break;
            case 2:
                total += (ushort)~(ushort)from;
                total += (ushort)to;
                break;
            default:
                total += ~(uint)from;
                total += (uint)to;
                break;
        }
        Unsafe.WriteUnaligned(sum, (ushort)~Fold16(Fold32(total)));
    }

    private static ulong L3CsumReplace(VmCallContext vm, ulong ctx, ulong offset, ulong from, ulong to, ulong flags)
    {
        RequireSkb(vm, "bpf_l3_csum_replace");
        if ((flags & ~HdrFieldMask) != 0)
            return Error(Errno.EINVAL);
        ushort* sum = SumField(vm, offset);
        if (sum == null)
            return Error(Errno.EFAULT);
        int size = (int)(flags & HdrFieldMask);
        if (size is not (0 or 2 or 4))
            return Error(Errno.EINVAL);
        Replace(sum, from, to, size);
        return 0;
    }

    private static ulong L4CsumReplace(VmCallContext vm, ulong ctx, ulong offset, ulong from, ulong to, ulong flags)
    {
        RequireSkb(vm, "bpf_l4_csum_replace");
        if ((flags & ~(HdrFieldMask | PseudoHdr | MarkMangled0 | MarkEnforce | Ipv6)) != 0)
            return Error(Errno.EINVAL);
        ushort* sum = SumField(vm, offset);
        if (sum == null)
            return Error(Errno.EFAULT);
        int size = (int)(flags & HdrFieldMask);
        if (size is not (0 or 2 or 4))
            return Error(Errno.EINVAL);
        bool mangledZero = (flags & MarkMangled0) != 0;
        if (mangledZero && Unsafe.ReadUnaligned<ushort>(sum) == 0)
            return 0;
        Replace(sum, from, to, size);
        if (mangledZero && Unsafe.ReadUnaligned<ushort>(sum) == 0)
            Unsafe.WriteUnaligned(sum, (ushort)0xffff); // CSUM_MANGLED_0
        return 0;
    }

    private static ulong Redirect(VmCallContext vm, ulong ifindex, ulong flags, ulong r3, ulong r4, ulong r5)
    {
        if (vm.Context is XdpContext)
        {
            if (flags != 0)
                return XdpAborted;
            vm.Redirect = new VmRedirect((uint)ifindex, flags, null);
            return XdpRedirect;
        }
        if ((flags & ~FlagIngress) != 0)
            return TcActShot;
        vm.Redirect = new VmRedirect((uint)ifindex, flags, null);
        return TcActRedirect;
    }

    /// <summary>bpf_redirect_map(map, key, flags) as the kernel's test_run sees it: XDP_REDIRECT when the key names a target
    /// (or with BPF_F_BROADCAST), else the fallback action in flags' low two bits; other flags the map does not take: XDP_ABORTED.</summary>
    private static ulong RedirectMap(VmCallContext vm, ulong map, ulong key, ulong flags, ulong r4, ulong r5)
    {
        if (vm.GetMap(map) is not IVmRedirectMap m)
            throw vm.Fault("bpf_redirect_map needs a DEVMAP, DEVMAP_HASH, CPUMAP or XSKMAP");
        const ulong actionMask = 3, broadcast = 1 << 3;
        if ((flags & ~(actionMask | m.RedirectFlags)) != 0)
            return XdpAborted;
        uint k = (uint)key;
        if (!m.HasTarget(k) && (flags & broadcast) == 0)
            return flags & actionMask;
        vm.Redirect = new VmRedirect(k, flags, m.Name);
        return XdpRedirect;
    }
}
