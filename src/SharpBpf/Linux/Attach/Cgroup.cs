using SharpBpf.Native;
using System.Runtime.InteropServices;

namespace SharpBpf.Linux.Attach;

/// <summary>Attaches cgroup programs (cgroup_skb, sock, sockopt...) to a cgroup v2 directory.</summary>
public static class Cgroup
{
    private const uint BPF_F_ALLOW_MULTI = 2;

    /// <summary>A bpf link on the cgroup (BPF_LINK_CREATE), else BPF_PROG_ATTACH with BPF_F_ALLOW_MULTI.</summary>
    public static IBpfLink Attach(SafeHandle program, string cgroupPath, BpfAttachType attachType)
    {
        if (!Directory.Exists(cgroupPath))
            throw new BpfHookSpecException($"cgroup directory {cgroupPath} does not exist (cgroup v2 is usually at /sys/fs/cgroup or /sys/fs/cgroup/unified)");
        using var dir = SyscallChecks.CheckFd(LibC.open(cgroupPath, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0), $"open {cgroupPath}");
        var where = $"cgroup {attachType} on {cgroupPath}";
        using var prog = new FdLease(program, where);
        try
        {
            return new BpfLink(BpfCalls.LinkCreate(prog.Fd, dir.Value, attachType, 0, where), where);
        }
        catch (BpfSyscallException e) when (e.ErrorNumber is Errno.EINVAL or Errno.ENOSYS or Errno.EOPNOTSUPP)
        {
            // Before 5.7 there are no cgroup links.
        }
        BpfCalls.ProgAttach(dir.Value, prog.Fd, attachType, BPF_F_ALLOW_MULTI, where);
        var keepDir = SyscallChecks.CheckFd(LibC.open(cgroupPath, LibC.O_RDONLY | LibC.O_DIRECTORY | LibC.O_CLOEXEC, 0), $"open {cgroupPath}");
        // PROG_DETACH needs the program's fd again: keep the caller's handle alive until then.
        var added = false;
        program.DangerousAddRef(ref added);
        return new DetachableAttachment(where + " [prog_attach]", () =>
        {
            try
            {
                BpfCalls.ProgDetach(keepDir.Value, (int)program.DangerousGetHandle(), attachType, where);
            }
            finally
            {
                if (added)
                    program.DangerousRelease();
                keepDir.Dispose();
            }
        });
    }
}
