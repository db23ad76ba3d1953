using System.Buffers.Binary;
using System.Net;
using SharpBpf.Vm.Contexts;

namespace SharpBpf.Vm.Helpers;

/// <summary>
/// bpf_fib_lookup(ctx, params, plen, flags) against <see cref="VmOptions.Fib"/>, following bpf_ipv4/ipv6_fib_lookup:
/// ENODEV for an unknown ifindex, FWD_DISABLED when it does not forward, the route's verdict (BLACKHOLE, UNREACHABLE,
/// PROHIBIT, NOT_FWDED for no route or a local one), FRAG_NEEDED past the MTU (XDP checks tot_len, tc the packet),
/// NO_NEIGH without a neighbour for the next hop; on success ifindex, the next hop, smac/dmac and mtu_result are set.
/// </summary>
internal static class FibHelpers
{
    private const int ParamsSize = 64;
    private const int Family = 0, TotLen = 6, Ifindex = 8, Metric = 12, Src = 16, Dst = 32, Smac = 52, Dmac = 58;
    private const ulong Direct = 1, Output = 2, SkipNeigh = 4, Tbid = 8, Source = 16, Mark = 32;
    private const ulong Success = 0, Blackhole = 1, Unreachable = 2, Prohibit = 3, NotForwarded = 4, ForwardingDisabled = 5,
        NoNeighbor = 7, FragmentationNeeded = 8, NoSourceAddress = 9;
    private const int EAfNoSupport = 97, EthHeader = 14;

    public static void Register(VmHelperTable t) => t.Register("bpf_fib_lookup", Lookup);

    private static ulong Lookup(VmCallContext vm, ulong ctx, ulong paramsAddress, ulong plen, ulong flags, ulong r5)
    {
        var p = vm.GetSpan(paramsAddress, plen, write: true);
        if (plen < ParamsSize || (flags & ~(Direct | Output | SkipNeigh | Tbid | Source | Mark)) != 0)
            return unchecked((ulong)-Errno.EINVAL);
        var family = VmFibTable.Family(p[Family]);
        if (family == System.Net.Sockets.AddressFamily.Unknown)
            return unchecked((ulong)-EAfNoSupport);
        var fib = vm.Options.Fib ?? VmFibTable.Loopback;
        if (fib.Interface((int)BinaryPrimitives.ReadUInt32LittleEndian(p[Ifindex..])) is not { } ingress)
            return unchecked((ulong)-Errno.ENODEV);
        if (!ingress.Forwarding)
            return ForwardingDisabled;
        int addressLength = family == System.Net.Sockets.AddressFamily.InterNetwork ? 4 : 16;
        var destination = new IPAddress(p.Slice(Dst, addressLength));
        if (fib.Route(destination) is not { } route)
            return NotForwarded;
        switch (route.Kind)
        {
            case VmRouteKind.Blackhole: return Blackhole;
            case VmRouteKind.Unreachable: return Unreachable;
            case VmRouteKind.Prohibit: return Prohibit;
            case VmRouteKind.Local: return NotForwarded;
        }
        if (fib.Interface(route.Ifindex) is not { } egress)
            return NotForwarded;
        int mtu = route.Mtu > 0 ? route.Mtu : egress.Mtu;
        bool xdp = vm.Context is XdpContext;
        if (xdp && BinaryPrimitives.ReadUInt16LittleEndian(p[TotLen..]) > mtu)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(p[TotLen..], (ushort)mtu);
            return FragmentationNeeded;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(p[Metric..], (uint)route.Metric);
        BinaryPrimitives.WriteUInt32LittleEndian(p[Ifindex..], (uint)egress.Ifindex);
        if ((flags & Source) != 0)
        {
            if (egress.Address is not { } source || source.AddressFamily != family)
                return NoSourceAddress;
            source.GetAddressBytes().CopyTo(p[Src..]);
        }
        if ((flags & SkipNeigh) == 0)
        {
            var nextHop = route.Gateway ?? destination;
            if (route.Gateway is not null)
                nextHop.GetAddressBytes().CopyTo(p[Dst..]);
            if (fib.Neighbor(egress.Ifindex, nextHop) is not { } neighbor)
                return NoNeighbor;
            neighbor.Mac.AsSpan(0, 6).CopyTo(p[Dmac..]);
            egress.Mac.AsSpan(0, 6).CopyTo(p[Smac..]);
        }
        if (!xdp && vm.DataEnd - vm.Data - EthHeader > mtu)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(p[TotLen..], (ushort)mtu);
            return FragmentationNeeded;
        }
        BinaryPrimitives.WriteUInt16LittleEndian(p[TotLen..], (ushort)(xdp ? mtu : egress.Mtu));
        return Success;
    }
}
