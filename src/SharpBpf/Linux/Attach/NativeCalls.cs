using System.Runtime.InteropServices;

namespace SharpBpf.Linux.Attach;

/// <summary>The libc entry points the hook and netlink code needs beyond <see cref="LibC"/>'s (x86-64 and arm64 Linux).</summary>
internal static unsafe partial class NativeCalls
{
    public const int O_RDONLY = 0, O_CLOEXEC = 0x80000, O_DIRECTORY = 0x10000;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ioctl(int fd, ulong request, nint arg);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int bind(int fd, void* addr, int len);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int name, void* value, int len);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint sendto(int fd, void* buf, nint len, int flags, void* addr, int addrLen);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint recv(int fd, void* buf, nint len, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint if_nametoindex(string name);

    public static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>Wraps a returned descriptor, or throws <see cref="BpfAttachException"/> naming the operation.</summary>
    public static FdHandle CheckFd(long fd, string operation, Func<int, string?>? hint = null)
    {
        if (fd < 0)
        {
            var errno = LastErrno;
            throw new BpfAttachException(operation, errno, hint?.Invoke(errno));
        }
        return new FdHandle((int)fd);
    }

    public static void Check(long result, string operation, Func<int, string?>? hint = null)
    {
        if (result < 0)
        {
            var errno = LastErrno;
            throw new BpfAttachException(operation, errno, hint?.Invoke(errno));
        }
    }

    /// <summary>The kernel's description of an errno (strerror without its locale dependence).</summary>
    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}
