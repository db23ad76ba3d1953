using System.Runtime.InteropServices;
using SharpBpf.Native;

namespace SharpBpf.Linux;

/// <summary>A file descriptor for a kernel BPF object (map, program, BTF, link). Disposing it closes the fd.</summary>
public sealed class BpfFd : SafeHandle
{
    public BpfFd(int fd, bool ownsHandle = true) : base(new IntPtr(-1), ownsHandle) => SetHandle(new IntPtr(fd));

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The raw descriptor number; throws when the handle has been closed.</summary>
    public int Value
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return (int)handle.ToInt64();
        }
    }

    /// <summary>Keeps the descriptor open while its number is in a syscall (see <see cref="FdLease"/>).</summary>
    internal FdLease Lease() => new(this, ToString());

    /// <summary>A second descriptor for the same object (dup with close-on-exec), owned by the caller.</summary>
    public BpfFd Duplicate()
    {
        using var lease = Lease();
        int fd = LibC.fcntl(lease.Fd, LibC.F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
            throw new BpfException($"cannot duplicate fd {lease.Fd}: {LibC.ErrorText(LibC.LastErrno)}");
        return new BpfFd(fd);
    }

    protected override bool ReleaseHandle() => LibC.close((int)handle.ToInt64()) == 0;

    public override string ToString() => IsClosed ? "fd (closed)" : $"fd {handle.ToInt64()}";
}
