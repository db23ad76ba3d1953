using System.Net;
using System.Net.Sockets;

namespace SharpBpf.Vm;

/// <summary>An interface bpf_fib_lookup may route through: its index, MAC address, MTU, whether it forwards, and an address.</summary>
public sealed record VmFibInterface(int Ifindex, byte[] Mac, int Mtu = 1500, bool Forwarding = true, IPAddress? Address = null);

/// <summary>What a route does with matching traffic (the kernel's RTN_* types bpf_fib_lookup distinguishes).</summary>
public enum VmRouteKind { Unicast, Local, Blackhole, Unreachable, Prohibit }

/// <summary>A route: destinations within Prefix/PrefixLength leave through Ifindex, to Gateway when there is one.</summary>
public sealed record VmFibRoute(IPAddress Prefix, int PrefixLength, int Ifindex, IPAddress? Gateway = null, int Metric = 0,
    VmRouteKind Kind = VmRouteKind.Unicast, int Mtu = 0);

/// <summary>A resolved neighbour (an ARP or NDP entry): the MAC address of Address on Ifindex.</summary>
public sealed record VmFibNeighbor(int Ifindex, IPAddress Address, byte[] Mac);

/// <summary>
/// The network a VM run sees through <c>bpf_fib_lookup</c> (<see cref="VmOptions.Fib"/>): interfaces, routes (longest prefix
/// first, then lowest metric) and neighbours, all given by the caller. The default, <see cref="Loopback"/>, is what a
/// kernel test run sees on a host that does not forward: a loopback device (ifindex 1) with forwarding disabled.
/// </summary>
public sealed class VmFibTable
{
    public IReadOnlyList<VmFibInterface> Interfaces { get; init; } = [];
    public IReadOnlyList<VmFibRoute> Routes { get; init; } = [];
    public IReadOnlyList<VmFibNeighbor> Neighbors { get; init; } = [];

    public static VmFibTable Loopback { get; } = new() { Interfaces = [new VmFibInterface(1, new byte[6], 65536, Forwarding: false)] };

    public VmFibInterface? Interface(int ifindex) => Interfaces.FirstOrDefault(i => i.Ifindex == ifindex);

    /// <summary>The best route to <paramref name="destination"/>, or null.</summary>
    public VmFibRoute? Route(IPAddress destination) => Routes
        .Where(r => r.Prefix.AddressFamily == destination.AddressFamily && Matches(r, destination))
        .OrderByDescending(r => r.PrefixLength).ThenBy(r => r.Metric)
        .FirstOrDefault();

    public VmFibNeighbor? Neighbor(int ifindex, IPAddress address) =>
        Neighbors.FirstOrDefault(n => n.Ifindex == ifindex && n.Address.Equals(address));

    private static bool Matches(VmFibRoute route, IPAddress destination)
    {
        var prefix = route.Prefix.GetAddressBytes();
        var address = destination.GetAddressBytes();
        int bits = Math.Clamp(route.PrefixLength, 0, prefix.Length * 8);
        for (int i = 0; i < bits; i++)
        {
            int mask = 0x80 >> (i % 8);
            if ((prefix[i / 8] & mask) != (address[i / 8] & mask))
                return false;
        }
        return true;
    }

    internal static AddressFamily Family(byte family) => family switch
    {
        2 => AddressFamily.InterNetwork,
        10 => AddressFamily.InterNetworkV6,
        _ => AddressFamily.Unknown,
    };
}
