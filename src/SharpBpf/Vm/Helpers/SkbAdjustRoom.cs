using SharpBpf.Vm.Contexts;

namespace SharpBpf.Vm.Helpers;

/// <summary>
/// bpf_skb_pull_data, and bpf_skb_adjust_room(skb, len_diff, mode, flags) as net/core/filter.c: room is made (or removed) after the MAC header
/// (BPF_ADJ_ROOM_MAC) or after the fixed IPv4/IPv6 header (BPF_ADJ_ROOM_NET) by moving the bytes before that point;
/// grown room is zeroed. The kernel's checks and errno. Encapsulation flags set skb->encapsulation (a second encapsulation is EALREADY) and switch
/// skb->protocol to the new outer family. The VM's skb is not GSO, and its buffer does not grow: room beyond the
/// headroom and tailroom left is ENOMEM where the kernel would reallocate.
/// </summary>
internal static unsafe class SkbAdjustRoom
{
    private const int EthHeader = 14, EAlready = 114;
    private const ulong FixedGso = 1, EncapL3Ipv4 = 2, EncapL3Ipv6 = 4, EncapL4Gre = 8, EncapL4Udp = 16, NoCsumReset = 32,
        EncapL2Eth = 64, DecapL3Ipv4 = 128, DecapL3Ipv6 = 256, EncapL2Mask = 0xffUL << 56;
    private const ulong EncapL3Mask = EncapL3Ipv4 | EncapL3Ipv6, DecapL3Mask = DecapL3Ipv4 | DecapL3Ipv6;
    private const ulong AdjRoomMask = FixedGso | EncapL3Mask | EncapL4Gre | EncapL4Udp | EncapL2Eth | EncapL2Mask | DecapL3Mask;
    private const ushort Ipv4 = 0x0800, Ipv6 = 0x86dd;
    private const ulong ModeNet = 0, ModeMac = 1;

    public static void Register(VmHelperTable t)
    {
        t.Register("bpf_skb_adjust_room", Adjust);
        t.Register("bpf_skb_pull_data", PullData);
    }

    /// <summary>bpf_skb_pull_data(skb, len): a test run's skb is linear, so the bytes are there unless len exceeds the packet (ENOMEM).</summary>
    private static ulong PullData(VmCallContext vm, ulong ctx, ulong len, ulong r3, ulong r4, ulong r5)
    {
        TunnelHelpers.RequireTc(vm, "bpf_skb_pull_data");
        return (uint)len > vm.DataEnd - vm.Data ? Error(Errno.ENOMEM) : 0;
    }

    private static ulong Error(int errno) => unchecked((ulong)-errno);

    private static ulong Adjust(VmCallContext vm, ulong ctx, ulong lenDiff, ulong mode, ulong flags, ulong r5)
    {
        TunnelHelpers.RequireTc(vm, "bpf_skb_adjust_room");
        int diff = (int)lenDiff;
        bool shrink = diff < 0;
        uint abs = (uint)Math.Abs((long)diff);
        ushort protocol = SkbContext.EtherType(vm);
        int baseLength = protocol == Ipv4 ? 20 : protocol == Ipv6 ? 40 : 0;
        if ((flags & ~(AdjRoomMask | NoCsumReset)) != 0)
            return Error(Errno.EINVAL);
        if (abs > 0xfff)
            return Error(Errno.EFAULT);
        if (protocol is not (Ipv4 or Ipv6))
            return Error(Errno.ENOTSUPP);
        int offset = EthHeader + mode switch { ModeNet => baseLength, ModeMac => 0, _ => -1 };
        if (offset < EthHeader)
            return Error(Errno.ENOTSUPP);
        int minLength = baseLength;
        if ((flags & DecapL3Mask) != 0)
        {
            if (!shrink)
                return Error(Errno.EINVAL);
            minLength = (flags & DecapL3Mask) switch { DecapL3Ipv4 => 20, DecapL3Ipv6 => 40, _ => -1 };
            if (minLength < 0)
                return Error(Errno.EINVAL);
        }
        long length = vm.DataEnd - vm.Data;
        long current = length - EthHeader;
        if (shrink && (abs >= current || current - abs < minLength))
            return Error(Errno.ENOTSUPP);
        int err = shrink ? Shrink(vm, offset, (int)abs, flags, ref protocol) : Grow(vm, offset, (int)abs, flags, ref protocol);
        if (err != 0)
            return Error(err);
        SkbContext.PacketChanged(vm, protocol);
        return 0;
    }

    private static int Grow(VmCallContext vm, int offset, int len, ulong flags, ref ushort protocol)
    {
        bool encap = (flags & EncapL3Mask) != 0;
        int innerMacLength = (int)(flags >> 56);
        if (encap)
        {
            if ((flags & EncapL3Mask) == EncapL3Mask || (flags & (EncapL4Gre | EncapL4Udp)) == (EncapL4Gre | EncapL4Udp)
                || ((flags & EncapL2Eth) != 0 && innerMacLength < EthHeader))
                return Errno.EINVAL;
            if (vm.Skb.Encapsulated)
                return EAlready;
            if (innerMacLength > len)
                return Errno.EINVAL;
        }
        if (vm.Data - len < vm.HardStart)
        {
            // No headroom left: move the packet towards the end, as the kernel's reallocation would make room.
            nint shift = vm.HardStart + len - vm.Data;
            if (vm.DataEnd + shift > vm.HardEnd)
                return Errno.ENOMEM;
            long length = vm.DataEnd - vm.Data;
            Buffer.MemoryCopy((void*)vm.Data, (void*)(vm.Data + shift), length, length);
            new Span<byte>((void*)vm.Data, (int)shift).Clear();
            vm.Data += shift;
            vm.DataEnd += shift;
        }
        vm.Data -= len;
        Buffer.MemoryCopy((void*)(vm.Data + len), (void*)vm.Data, offset, offset);
        new Span<byte>((void*)(vm.Data + offset), len).Clear();
        vm.DataMeta = vm.Data;
        if (encap)
        {
            vm.Skb.Encapsulated = true;
            if (protocol == Ipv4 && (flags & EncapL3Ipv6) != 0)
                protocol = Ipv6;
            else if (protocol == Ipv6 && (flags & EncapL3Ipv4) != 0)
                protocol = Ipv4;
        }
        return 0;
    }

    private static int Shrink(VmCallContext vm, int offset, int len, ulong flags, ref ushort protocol)
    {
        if ((flags & ~(FixedGso | DecapL3Mask | NoCsumReset)) != 0)
            return Errno.EINVAL;
        if (offset + len > vm.DataEnd - vm.Data)
            return Errno.ENOMEM; // pskb_may_pull fails
        Buffer.MemoryCopy((void*)vm.Data, (void*)(vm.Data + len), offset, offset);
        vm.Data += len;
        vm.DataMeta = vm.Data;
        if (protocol == Ipv4 && (flags & DecapL3Ipv6) != 0)
            protocol = Ipv6;
        else if (protocol == Ipv6 && (flags & DecapL3Ipv4) != 0)
            protocol = Ipv4;
        return 0;
    }
}
