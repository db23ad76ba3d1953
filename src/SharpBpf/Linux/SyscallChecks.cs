using SharpBpf.Native;

namespace SharpBpf.Linux;

/// <summary>Turns the result of a libc call of the hook, event and netlink code into a descriptor or a
/// <see cref="BpfAttachException"/> naming the operation.</summary>
internal static class SyscallChecks
{
    /// <summary>Wraps a returned descriptor, or throws naming the operation.</summary>
    public static BpfFd CheckFd(long fd, string operation, Func<int, string?>? hint = null)
    {
        Check(fd, operation, hint);
        return new BpfFd((int)fd);
    }

    public static void Check(long result, string operation, Func<int, string?>? hint = null)
    {
        if (result < 0)
        {
            var errno = LibC.LastErrno;
            throw new BpfAttachException(operation, errno, hint?.Invoke(errno));
        }
    }
}
