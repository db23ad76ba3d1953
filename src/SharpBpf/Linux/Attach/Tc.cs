using System.Runtime.InteropServices;
using SharpBpf.Linux.Netlink;

namespace SharpBpf.Linux.Attach;

/// <summary>Which side of an interface a tc program sees.</summary>
public enum TcDirection
{
    Ingress,
    Egress,
}

/// <summary>
/// Attaches BPF_PROG_TYPE_SCHED_CLS programs: a tcx link (BPF_TCX_INGRESS/EGRESS, Linux 6.6+), else a clsact qdisc
/// plus a direct-action bpf filter through rtnetlink.
/// </summary>
public static class Tc
{
    public static IBpfLink Attach(SafeHandle program, string interfaceName, TcDirection direction, bool useNetlink = false,
        ushort priority = 1, uint handle = 1) =>
        Attach(program, RtNetlink.IfIndex(interfaceName), direction, useNetlink, priority, handle, interfaceName);

    public static IBpfLink Attach(SafeHandle program, int ifindex, TcDirection direction, bool useNetlink = false,
        ushort priority = 1, uint handle = 1, string? interfaceName = null)
    {
        var ingress = direction == TcDirection.Ingress;
        var where = $"tc {(ingress ? "ingress" : "egress")} on {interfaceName ?? "ifindex " + ifindex}";
        using var prog = new FdLease(program, where);
        if (!useNetlink)
        {
            try
            {
                var type = ingress ? BpfAttachType.TcxIngress : BpfAttachType.TcxEgress;
                return new BpfLink(BpfCalls.LinkCreate(prog.Fd, ifindex, type, 0, where), "tcx" + where[2..]);
            }
            catch (BpfSyscallException e) when (e.ErrorNumber is Errno.EINVAL or Errno.ENOSYS or Errno.EOPNOTSUPP)
            {
                // No tcx before 6.6: fall back to clsact + cls_bpf.
            }
        }
        var createdQdisc = RtNetlink.AddClsact(ifindex);
        try
        {
            RtNetlink.AddBpfFilter(ifindex, ingress, prog.Fd, $"sharpbpf:{where}", priority, handle);
        }
        catch
        {
            if (createdQdisc)
                RtNetlink.DeleteClsact(ifindex);
            throw;
        }
        return new DetachableAttachment(where + " [cls_bpf]", () =>
        {
            try
            {
                RtNetlink.DeleteBpfFilter(ifindex, ingress, priority, handle);
            }
            catch (NetlinkException e) when (e.ErrorNumber is Errno.ENOENT or Errno.ENODEV or Errno.EINVAL)
            {
                // The interface or qdisc went away first, taking the filter with it.
            }
            if (createdQdisc)
            {
                try
                {
                    RtNetlink.DeleteClsact(ifindex);
                }
                catch (NetlinkException e) when (e.ErrorNumber is Errno.ENOENT or Errno.ENODEV or Errno.EINVAL)
                {
                }
            }
        });
    }
}
