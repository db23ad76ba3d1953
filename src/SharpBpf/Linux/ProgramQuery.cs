using System.Runtime.InteropServices;

namespace SharpBpf.Linux;

/// <summary>BPF_PROG_QUERY: the programs attached to a target (netns, ifindex) for an attach type.</summary>
internal static unsafe class ProgramQuery
{
    public static uint[] AttachedPrograms(SafeHandle target, BpfAttachType attachType, uint queryFlags = 0)
    {
        using var lease = new FdLease(target, "query target");
        var ids = new uint[64];
        while (true)
        {
            fixed (uint* p = ids)
            {
                var attr = new ProgQueryAttr { TargetFd = (uint)lease.Fd, AttachType = (uint)attachType, QueryFlags = queryFlags, ProgIds = (ulong)p, ProgCnt = (uint)ids.Length };
                int r = BpfSyscall.TryInvoke(BpfCommand.ProgQuery, ref attr);
                if (r == -Errno.ENOSPC)
                {
                    ids = new uint[Math.Max(ids.Length * 2, (int)attr.ProgCnt)];
                    continue;
                }
                if (r < 0)
                    throw new BpfSyscallException(BpfCommand.ProgQuery, -r, BpfErrorHints.For(BpfCommand.ProgQuery, -r));
                return ids.AsSpan(0, (int)attr.ProgCnt).ToArray();
            }
        }
    }
}
