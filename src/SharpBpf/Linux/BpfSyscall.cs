using SharpBpf.Native;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SharpBpf.Linux;

/// <summary>
/// The bpf() system call, with no libbpf in between. Every call goes through <see cref="Invoke{T}"/>, which
/// traces it when <see cref="BpfTrace"/> is on and turns a failure into a <see cref="BpfSyscallException"/>.
/// </summary>
public static unsafe class BpfSyscall
{
    /// <summary>Calls bpf(command, attr, sizeof(attr)); returns the result or -errno, retrying EINTR/EAGAIN on PROG_LOAD as libbpf does.</summary>
    internal static int TryInvoke<T>(BpfCommand command, ref T attr) where T : unmanaged
    {
        int size = sizeof(T);
        string? before = BpfTrace.IsEnabled ? BpfTrace.DescribeInput(command, MemoryMarshal.AsBytes(new Span<T>(ref attr))) : null;
        long result;
        int errno = 0;
        int attempts = 0;
        fixed (T* p = &attr)
        {
            while (true)
            {
                result = LibC.syscall(SyscallNumbers.Bpf, (long)command, p, size);
                if (result >= 0)
                    break;
                errno = Marshal.GetLastPInvokeError();
                // The verifier may be interrupted (EAGAIN from signal pending during a long verification).
                if ((errno == Errno.EINTR || (errno == Errno.EAGAIN && command == BpfCommand.ProgLoad)) && ++attempts < 5)
                    continue;
                break;
            }
        }
        if (before is not null)
            BpfTrace.Write(command, before, MemoryMarshal.AsBytes(new Span<T>(ref attr)), size, result, errno);
        return result >= 0 ? (int)result : -errno;
    }

    /// <summary>Calls bpf() and throws <see cref="BpfSyscallException"/> (with a hint) on failure.</summary>
    internal static int Invoke<T>(BpfCommand command, ref T attr, string? subject = null) where T : unmanaged
    {
        int r = TryInvoke(command, ref attr);
        if (r < 0)
            throw new BpfSyscallException(command, -r, BpfErrorHints.For(command, -r), subject);
        return r;
    }

    /// <summary>Calls a command that returns a new fd and wraps it.</summary>
    internal static BpfFd InvokeFd<T>(BpfCommand command, ref T attr, string? subject = null) where T : unmanaged =>
        new(Invoke(command, ref attr, subject));

    internal static ulong Ptr(void* p) => (ulong)p;

    internal static ulong Ptr<T>(ref T value) where T : unmanaged => (ulong)Unsafe.AsPointer(ref value);

    /// <summary>The next id after <paramref name="startId"/> of programs, maps, BTF objects or links; 0 at the end.</summary>
    public static uint GetNextId(BpfObjectKind kind, uint startId)
    {
        var attr = new GetIdAttr { Id = startId };
        var cmd = kind switch
        {
            BpfObjectKind.Program => BpfCommand.ProgGetNextId,
            BpfObjectKind.Map => BpfCommand.MapGetNextId,
            BpfObjectKind.Btf => BpfCommand.BtfGetNextId,
            _ => BpfCommand.LinkGetNextId,
        };
        int r = TryInvoke(cmd, ref attr);
        if (r == -Errno.ENOENT)
            return 0;
        if (r < 0)
            throw new BpfSyscallException(cmd, -r, BpfErrorHints.For(cmd, -r));
        return attr.NextId;
    }

    /// <summary>Every id of that kind currently in the kernel, ascending.</summary>
    public static IEnumerable<uint> Ids(BpfObjectKind kind)
    {
        uint id = 0;
        while ((id = GetNextId(kind, id)) != 0)
            yield return id;
    }

    /// <summary>Opens an fd for the object with that id; null when it no longer exists.</summary>
    public static BpfFd? TryGetFdById(BpfObjectKind kind, uint id)
    {
        var attr = new GetIdAttr { Id = id };
        var cmd = kind switch
        {
            BpfObjectKind.Program => BpfCommand.ProgGetFdById,
            BpfObjectKind.Map => BpfCommand.MapGetFdById,
            BpfObjectKind.Btf => BpfCommand.BtfGetFdById,
            _ => BpfCommand.LinkGetFdById,
        };
        int r = TryInvoke(cmd, ref attr);
        if (r == -Errno.ENOENT)
            return null;
        if (r < 0)
            throw new BpfSyscallException(cmd, -r, BpfErrorHints.For(cmd, -r), $"{kind.ToString().ToLowerInvariant()} id {id}");
        return new BpfFd(r);
    }

    public static BpfFd GetFdById(BpfObjectKind kind, uint id) =>
        TryGetFdById(kind, id) ?? throw new BpfSyscallException(
            kind switch { BpfObjectKind.Program => BpfCommand.ProgGetFdById, BpfObjectKind.Map => BpfCommand.MapGetFdById, BpfObjectKind.Btf => BpfCommand.BtfGetFdById, _ => BpfCommand.LinkGetFdById },
            Errno.ENOENT, $"there is no {kind.ToString().ToLowerInvariant()} with id {id}");

    /// <summary>Pins the object behind <paramref name="fd"/> at <paramref name="path"/> (a file in a bpf filesystem).</summary>
    public static void Pin(BpfFd fd, string path)
    {
        fixed (byte* p = Utf8Z(path))
        {
            using var lease = fd.Lease();
            var attr = new ObjPinAttr { Pathname = Ptr(p), BpfFd = (uint)lease.Fd };
            Invoke(BpfCommand.ObjPin, ref attr, path);
        }
    }

    /// <summary>Opens the object pinned at <paramref name="path"/>.</summary>
    public static BpfFd OpenPinned(string path, uint fileFlags = 0)
    {
        fixed (byte* p = Utf8Z(path))
        {
            var attr = new ObjPinAttr { Pathname = Ptr(p), FileFlags = fileFlags };
            return InvokeFd(BpfCommand.ObjGet, ref attr, path);
        }
    }

    /// <summary>BPF_ENABLE_STATS(BPF_STATS_RUN_TIME): run_cnt/run_time_ns are collected while the returned fd is open.</summary>
    public static BpfFd EnableRunTimeStats()
    {
        var attr = new SingleFdAttr { Value = 0 };
        return InvokeFd(BpfCommand.EnableStats, ref attr);
    }

    internal static byte[] Utf8Z(string s)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(s) + 1];
        System.Text.Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }
}

/// <summary>The four kinds of BPF objects that have ids.</summary>
public enum BpfObjectKind
{
    Program,
    Map,
    Btf,
    Link,
}
