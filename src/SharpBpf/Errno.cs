namespace SharpBpf;

/// <summary>The Linux errno values SharpBpf reports, with their symbolic names. One table for both engines.</summary>
public static class Errno
{
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int ESRCH = 3;
    public const int EINTR = 4;
    public const int EIO = 5;
    public const int E2BIG = 7;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EFAULT = 14;
    public const int EBUSY = 16;
    public const int EEXIST = 17;
    public const int ENODEV = 19;
    public const int EINVAL = 22;
    public const int ENOSPC = 28;
    public const int ERANGE = 34;
    public const int ENOSYS = 38;
    public const int ELOOP = 40;
    public const int EPROTO = 71;
    public const int EOVERFLOW = 75;
    public const int ENOTSUPP = 524;
    public const int EOPNOTSUPP = 95;

    private static readonly Dictionary<int, string> Names = new()
    {
        [EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH", [EINTR] = "EINTR", [EIO] = "EIO",
        [E2BIG] = "E2BIG", [EBADF] = "EBADF", [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM", [EACCES] = "EACCES",
        [EFAULT] = "EFAULT", [EBUSY] = "EBUSY", [EEXIST] = "EEXIST", [ENODEV] = "ENODEV", [EINVAL] = "EINVAL",
        [ENOSPC] = "ENOSPC", [ERANGE] = "ERANGE", [ENOSYS] = "ENOSYS", [ELOOP] = "ELOOP", [EPROTO] = "EPROTO", [EOVERFLOW] = "EOVERFLOW",
        [ENOTSUPP] = "ENOTSUPP", [EOPNOTSUPP] = "EOPNOTSUPP",
    };

    public static string Name(int errno) => Names.TryGetValue(errno, out var n) ? n : $"errno {errno}";
}
