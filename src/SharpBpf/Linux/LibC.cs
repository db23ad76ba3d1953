using System.Runtime.InteropServices;

namespace SharpBpf.Linux;

/// <summary>The few libc entry points the kernel engine needs. Syscall numbers live in <see cref="SyscallNumbers"/>.</summary>
internal static unsafe partial class LibC
{
    public const int F_DUPFD_CLOEXEC = 1030;
    public const int RLIMIT_MEMLOCK = 8;
    public const ulong RLIM_INFINITY = ulong.MaxValue;

    [LibraryImport("libc", SetLastError = true)]
    public static partial long syscall(long number, long a1, void* a2, long a3);

    [LibraryImport("libc", SetLastError = true)]
    public static partial long syscall(long number, long a1, long a2, long a3, long a4, long a5);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getrlimit(int resource, RLimit* limit);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setrlimit(int resource, RLimit* limit);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mount(string source, string target, string fstype, ulong flags, void* data);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int umount2(string target, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statfs(string path, StatFs* buffer);

    // Event readers (Linux/Events): open, read, mmap and epoll.
    public const int O_RDONLY = 0, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    public const int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1;
    public const int EPOLL_CLOEXEC = 0x80000, EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 1, EPOLLONESHOT = 1u << 30;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, void* buffer, nint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ioctl(int fd, ulong request, nint arg);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint mmap(nint address, nint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int munmap(nint address, nint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_wait(int epfd, EpollEvent* events, int maxEvents, int timeoutMs);

    /// <summary>struct epoll_event as x86-64 lays it out (packed, 12 bytes); arm64 pads it to 16 and is not modelled yet.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Current;
        public ulong Max;
    }

    /// <summary>struct statfs (x86-64 and arm64 share it): only f_type is read.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct StatFs
    {
        public long Type;
        public fixed long Rest[15];
    }

    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);
}

/// <summary>Syscall numbers: the one place that knows them per architecture.</summary>
internal static class SyscallNumbers
{
    public static readonly long Bpf = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 321,
        Architecture.Arm64 => 280,
        var other => throw new PlatformNotSupportedException($"no bpf() syscall number known for {other}"),
    };

    /// <summary>perf_event_open(2), which has no libc wrapper.</summary>
    public static readonly long PerfEventOpen = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 298,
        Architecture.Arm64 => 241,
        var other => throw new PlatformNotSupportedException($"no perf_event_open syscall number known for {other}"),
    };
}
