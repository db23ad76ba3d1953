using System.Runtime.InteropServices;
using SharpBpf.Linux.Netlink;

namespace SharpBpf.Linux.Attach;

/// <summary>Attaches XDP programs to a network interface: a bpf link (BPF_LINK_CREATE, BPF_XDP), else rtnetlink IFLA_XDP.</summary>
public static class Xdp
{
    /// <summary>Attaches to the interface named <paramref name="interfaceName"/> in this network namespace.</summary>
    /// <param name="useNetlink">skip the bpf link and attach through rtnetlink (what `ip link set xdp` does).</param>
    public static IBpfLink Attach(SafeHandle program, string interfaceName, XdpMode mode = XdpMode.Default, bool useNetlink = false) =>
        Attach(program, RtNetlink.IfIndex(interfaceName), mode, useNetlink, interfaceName);

    public static IBpfLink Attach(SafeHandle program, int ifindex, XdpMode mode = XdpMode.Default, bool useNetlink = false, string? interfaceName = null)
    {
        var where = $"xdp on {interfaceName ?? "ifindex " + ifindex}" + (mode == XdpMode.Default ? "" : $" ({mode.ToString().ToLowerInvariant()})");
        using var prog = new FdLease(program, where);
        if (!useNetlink)
        {
            try
            {
                return new BpfLink(BpfCalls.LinkCreate(prog.Fd, ifindex, BpfAttachType.Xdp, (uint)mode, where), where);
            }
            catch (BpfSyscallException e) when (e.ErrorNumber is Errno.EINVAL or Errno.ENOSYS or Errno.EOPNOTSUPP)
            {
                // Kernels before 5.9 have no XDP links: use netlink below.
            }
        }
        RtNetlink.SetXdp(ifindex, prog.Fd, mode);
        return new DetachableAttachment(where + " [netlink]", () => RtNetlink.SetXdp(ifindex, -1, mode));
    }
}
