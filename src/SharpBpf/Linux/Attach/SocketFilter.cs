using SharpBpf.Native;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace SharpBpf.Linux.Attach;

/// <summary>Attaches BPF_PROG_TYPE_SOCKET_FILTER programs to a socket with SO_ATTACH_BPF.</summary>
public static unsafe class SocketFilter
{
    private const int SOL_SOCKET = 1, SO_DETACH_FILTER = 27, SO_ATTACH_BPF = 50;

    public static IBpfLink Attach(SafeHandle program, Socket socket) => Attach(program, socket.SafeHandle);

    /// <summary>Attaches to a socket given by its handle; disposing detaches (SO_DETACH_BPF) if the socket is still open.</summary>
    public static IBpfLink Attach(SafeHandle program, SafeHandle socket)
    {
        using var prog = new FdLease(program, "socket filter");
        using var sock = new FdLease(socket, "socket filter");
        var fd = prog.Fd;
        SyscallChecks.Check(LibC.setsockopt(sock.Fd, SOL_SOCKET, SO_ATTACH_BPF, &fd, 4), "setsockopt(SO_ATTACH_BPF)", Hints.Attach);
        return Detaching($"socket filter on fd {sock.Fd}", socket);
    }

    /// <summary>A link whose disposal detaches whatever filter the socket has (SO_DETACH_FILTER), if it is still open.</summary>
    internal static IBpfLink Detaching(string description, SafeHandle socket) => new DetachableAttachment(description, () =>
    {
        if (socket.IsClosed)
            return;
        using var s = new FdLease(socket, "socket filter");
        var zero = 0;
        LibC.setsockopt(s.Fd, SOL_SOCKET, SO_DETACH_FILTER, &zero, 4);
    });
}
