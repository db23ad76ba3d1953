using System.Runtime.InteropServices;

namespace SharpBpf.Native;

/// <summary>Every libc entry point SharpBpf calls (x86-64 and arm64 Linux), source-generated. Syscall numbers live in
/// <see cref="SyscallNumbers"/>; descriptors are owned by <see cref="Linux.BpfFd"/>.</summary>
internal static unsafe partial class LibC
{
    public const int F_DUPFD_CLOEXEC = 1030;
    public const int RLIMIT_MEMLOCK = 8;
    public const ulong RLIM_INFINITY = ulong.MaxValue;
    public const int O_RDONLY = 0, O_CLOEXEC = 0x80000, O_DIRECTORY = 0x10000, O_NONBLOCK = 0x800;
    public const int EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;
    public const int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1;
    public const int EPOLL_CLOEXEC = 0x80000, EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 1, EPOLLONESHOT = 1u << 30;
    public const int CLOCK_BOOTTIME = 7, CLOCK_THREAD_CPUTIME_ID = 3;

    // Descriptors and files
    [LibraryImport("libc", SetLastError = true)]
    public static partial long syscall(long number, long a1, void* a2, long a3);

    [LibraryImport("libc", SetLastError = true)]
    public static partial long syscall(long number, long a1, long a2, long a3, long a4, long a5);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ioctl(int fd, ulong request, nint arg);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, void* buf, nint len);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, void* buf, nint len);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);

    // Memory
    [LibraryImport("libc", SetLastError = true)]
    public static partial nint mmap(nint addr, nint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int munmap(nint addr, nint length);

    [LibraryImport("libc")]
    public static partial int getpagesize();

    [LibraryImport("libc", SetLastError = true)]
    public static partial int getrlimit(int resource, RLimit* limit);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setrlimit(int resource, RLimit* limit);

    // Sockets and polling
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

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int epoll_wait(int epfd, EpollEvent* events, int maxEvents, int timeoutMs);

    // File systems
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mount(string source, string target, string fstype, ulong flags, void* data);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int umount2(string target, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int statfs(string path, StatFs* buffer);

    // Threads, CPUs, clocks, identity
    [LibraryImport("libc", SetLastError = true)]
    public static partial int sched_setaffinity(int pid, nint size, byte* mask);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int sched_getaffinity(int pid, nint size, byte* mask);

    [LibraryImport("libc")]
    public static partial int sched_getcpu();

    [LibraryImport("libc")]
    public static partial int clock_gettime(int clock, TimeSpec* time);

    [LibraryImport("libc")]
    public static partial int gettid();

    [LibraryImport("libc")]
    public static partial uint getuid();

    [LibraryImport("libc")]
    public static partial uint getgid();

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

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>struct epoll_event as x86-64 lays it out (packed, 12 bytes); arm64 pads it to 16 and is not modelled yet.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    public static int LastErrno => Marshal.GetLastPInvokeError();

    /// <summary>The kernel's description of an errno (strerror without its locale dependence).</summary>
    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>A clock's time in nanoseconds, or null when the clock cannot be read.</summary>
    public static long? Nanoseconds(int clock)
    {
        TimeSpec time;
        return clock_gettime(clock, &time) == 0 ? time.Seconds * 1_000_000_000 + time.Nanoseconds : null;
    }
}
