using System.Net;
using SharpBpf.Objects;
using SharpBpf.Tests.Packets;
using SharpBpf.Tests.Support;
using SharpBpf.Vm;

namespace SharpBpf.Tests.Vm;

/// <summary>bpf_fib_lookup against a routing table the caller gives the VM (<see cref="VmOptions.Fib"/>).
/// Agreement with the kernel on the default table is in the engine agreement cases (vm_fib.c).</summary>
public sealed class FibLookupTests
{
    private static readonly byte[] RouterMac = [2, 0, 0, 0, 0, 1], NextHopMac = [2, 0, 0, 0, 0, 0xfe];

    private static readonly VmFibTable Network = new()
    {
        Interfaces = [new VmFibInterface(1, new byte[6], 65536), new VmFibInterface(2, RouterMac, 1000)],
        Routes =
        [
            new VmFibRoute(IPAddress.Parse("10.1.0.0"), 16, 2, Gateway: IPAddress.Parse("10.0.0.254")),
            new VmFibRoute(IPAddress.Parse("10.1.2.0"), 24, 2),
            new VmFibRoute(IPAddress.Parse("10.9.0.0"), 16, 2, Kind: VmRouteKind.Blackhole),
        ],
        Neighbors = [new VmFibNeighbor(2, IPAddress.Parse("10.0.0.254"), NextHopMac)],
    };

    [Theory]
    [InlineData("10.1.7.7", 0, 4u, 0)]          // via the gateway: redirected to ifindex 2
    [InlineData("10.1.2.3", 0, 2u, 7)]          // the /24 wins, directly connected, no neighbour: NO_NEIGH, pass
    [InlineData("10.9.0.1", 0, 1u, 1)]          // blackhole: drop
    [InlineData("192.168.0.1", 0, 2u, 4)]       // no route: NOT_FWDED
    [InlineData("10.1.7.7", 1200, 2u, 8)]       // bigger than the egress MTU: FRAG_NEEDED
    public void RoutesThroughTheGivenTable(string destination, int payload, uint action, int verdict)
    {
        using var vm = new VmEngine(new VmOptions { Fib = Network });
        var loaded = vm.Load(ObjectSpec.Load(TestPrograms.Compile("vm_fib.c")));
        var frame = TestFrames.Udp("10.0.0.1", destination, 1000, 9, payloadLength: payload);
        var md = new byte[24];
        BitConverter.TryWriteBytes(md.AsSpan(4), (uint)frame.Length);
        BitConverter.TryWriteBytes(md.AsSpan(12), 1u); // ingress_ifindex: lo
        var result = loaded.Program("xdp_router").Run(new RunInput { Data = frame, Context = md });
        Assert.Equal(action, (uint)result.ReturnValue);
        var count = new byte[8];
        Assert.True(loaded.Map("verdicts").TryLookup(BitConverter.GetBytes((uint)verdict), count));
        Assert.Equal(1UL, BitConverter.ToUInt64(count));
        if (action == 4)
        {
            Assert.Equal(NextHopMac, result.DataOut[..6]);
            Assert.Equal(RouterMac, result.DataOut[6..12]);
            Assert.Equal(2u, result.Redirect!.Value.Target);
        }
    }

    [Fact]
    public void TheDefaultTableIsALoopbackThatDoesNotForward()
    {
        using var vm = new VmEngine();
        var loaded = vm.Load(ObjectSpec.Load(TestPrograms.Compile("vm_fib.c")));
        var md = new byte[24];
        var frame = TestFrames.Udp("10.0.0.1", "10.1.2.3", 1000, 9);
        BitConverter.TryWriteBytes(md.AsSpan(4), (uint)frame.Length);
        BitConverter.TryWriteBytes(md.AsSpan(12), 1u);
        Assert.Equal(2, (int)loaded.Program("xdp_router").Run(new RunInput { Data = frame, Context = md }).ReturnValue);
        var count = new byte[8];
        Assert.True(loaded.Map("verdicts").TryLookup(BitConverter.GetBytes(5u), count)); // FWD_DISABLED
        Assert.Equal(1UL, BitConverter.ToUInt64(count));
    }
}
