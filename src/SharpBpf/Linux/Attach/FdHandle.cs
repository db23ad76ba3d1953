using System.Runtime.InteropServices;

namespace SharpBpf.Linux.Attach;

/// <summary>
/// Owns one file descriptor (perf event, netlink socket, epoll, bpf link...) and closes it exactly once.
/// </summary>
internal sealed class FdHandle : SafeHandle
{
    public FdHandle(int fd) : base(new IntPtr(-1), ownsHandle: true) => SetHandle(new IntPtr(fd));

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The raw descriptor; valid only while this handle is alive.</summary>
    public int Fd => (int)handle.ToInt64();

    protected override bool ReleaseHandle() => LibC.close((int)handle.ToInt64()) == 0;
}
