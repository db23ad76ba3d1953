using SharpBpf.Linux.Attach;
using SharpBpf.Linux.Netlink;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux.Attach;

/// <summary>XDP and tc programs on a veth between two network namespaces this test creates: UDP to port 7777 dropped, other ports untouched, traffic back after detach.</summary>
public class NetworkHookTests
{
    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void XdpDropsUdpUntilDetached(bool useNetlink)
    {
        Requirements.Kernel();
        using var obj = new LoadedObject("hook_xdp_drop_udp.c");
        using var net = new NetnsPair();
        Assert.True(net.UdpReaches(7777), "UDP across the fresh veth pair should work before attaching");

        var link = net.InB(() => Xdp.Attach(obj.Program("xdp_drop_udp").Fd, net.VethB,
            useNetlink ? XdpMode.Generic : XdpMode.Default, useNetlink));
        Assert.Equal(!useNetlink, link.IsBpfLink);
        if (!useNetlink)
        {
            // The kernel refuses netlink XDP over an XDP link, and says why in an extended ack.
            var busy = Assert.Throws<NetlinkException>(() => net.InB(() => RtNetlink.SetXdp(RtNetlink.IfIndex(net.VethB), obj.Program("xdp_drop_udp").Fd.Value, XdpMode.Default, replace: true)));
            Assert.Equal(Errno.EBUSY, busy.ErrorNumber);
            Assert.False(string.IsNullOrEmpty(busy.KernelMessage), busy.Message);
        }
        var listed = net.InB(() => RtNetlink.Links().Single(l => l.Name == net.VethB).Xdp);
        Assert.Single(listed);
        Assert.Equal(useNetlink ? "generic" : "driver", listed[0].Mode);  // veth has native XDP

        Assert.False(net.UdpReaches(7777, timeoutMs: 500), "UDP to 7777 must be dropped by the XDP program");
        Assert.True(net.UdpReaches(7778), "other ports pass");
        Assert.True(obj.ReadU64("counts", 1) >= 1, "the program counted the dropped datagram");

        net.InB(link.Dispose);
        Assert.Empty(net.InB(() => RtNetlink.Links().Single(l => l.Name == net.VethB).Xdp));
        var dropped = obj.ReadU64("counts", 1);
        Assert.True(net.UdpReaches(7777), "UDP to 7777 flows again after detaching");
        Assert.Equal(dropped, obj.ReadU64("counts", 1));
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void TcIngressDropsUdpUntilDetached(bool useNetlink)
    {
        Requirements.Kernel();
        using var obj = new LoadedObject("hook_tc_drop_udp.c");
        using var net = new NetnsPair();
        var link = net.InB(() => Tc.Attach(obj.Program("tc_drop_udp").Fd, net.VethB, TcDirection.Ingress, useNetlink));
        Assert.Equal(!useNetlink, link.IsBpfLink);
        if (useNetlink)
        {
            var filters = net.InB(() => RtNetlink.BpfFilters(RtNetlink.IfIndex(net.VethB), net.VethB, ingress: true));
            Assert.Single(filters);
            Assert.Equal("clsact/ingress", filters[0].Mode);
            Assert.StartsWith("sharpbpf:", filters[0].Name);
        }
        else
        {
            var info = ((BpfLink)link).Info();
            Assert.Equal(BpfLinkType.Tcx, info.Type);
            Assert.Equal(BpfAttachType.TcxIngress, info.AttachType);
            Assert.Equal((uint)net.InB(() => RtNetlink.IfIndex(net.VethB)), info.Ifindex);
        }

        Assert.False(net.UdpReaches(7777, timeoutMs: 500), "UDP to 7777 must be dropped by the tc program");
        Assert.True(net.UdpReaches(7778), "other ports pass");
        Assert.True(obj.ReadU64("counts", 1) >= 1);

        net.InB(link.Dispose);
        Assert.True(net.UdpReaches(7777), "UDP to 7777 flows again after detaching");
        if (useNetlink)
            Assert.Empty(net.InB(() => RtNetlink.BpfFilters(RtNetlink.IfIndex(net.VethB), net.VethB, ingress: true)));
    }

    [SkippableFact]
    public void AutoAttachPicksXdpFromTheSectionName()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject("hook_xdp_drop_udp.c");
        using var net = new NetnsPair();
        var link = net.InB(() => AutoAttach.Attach(obj.Program("xdp_drop_udp").Fd, "xdp", new AutoAttachOptions { Interface = net.VethB }));
        try
        {
            Assert.False(net.UdpReaches(7777, timeoutMs: 500));
            Assert.Equal(1UL, obj.ReadU64("counts", 1));
        }
        finally
        {
            link.Dispose();
        }
        Assert.True(net.UdpReaches(7777));
    }

    [SkippableFact]
    public void NetlinkErrorsCarryErrnoAndKernelMessage()
    {
        Requirements.Kernel();
        var e = Assert.Throws<NetlinkException>(() => RtNetlink.SetXdp(int.MaxValue - 7, -1, XdpMode.Generic));
        Assert.Equal(Errno.ENODEV, e.ErrorNumber);
        Assert.Contains("ENODEV", e.Message);
    }
}
