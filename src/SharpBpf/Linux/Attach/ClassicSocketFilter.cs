using SharpBpf.Native;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using SharpBpf.Cbpf;

namespace SharpBpf.Linux.Attach;

/// <summary>Attaches a classic BPF filter (a tcpdump expression compiled by <c>PcapFilterCompiler</c>) with SO_ATTACH_FILTER.</summary>
public static unsafe class ClassicSocketFilter
{
    private const int SOL_SOCKET = 1, SO_ATTACH_FILTER = 26;

    [StructLayout(LayoutKind.Sequential)]
    private struct SockFprog
    {
        public ushort Len;
        public CbpfInstruction* Filter;
    }

    public static IBpfLink Attach(IReadOnlyList<CbpfInstruction> program, Socket socket) => Attach(program, socket.SafeHandle);

    /// <summary>The kernel copies and checks the program (EINVAL for one it refuses); disposing detaches it.</summary>
    public static IBpfLink Attach(IReadOnlyList<CbpfInstruction> program, SafeHandle socket)
    {
        ArgumentNullException.ThrowIfNull(program);
        CbpfValidator.Validate([.. program]);
        var copy = program.ToArray();
        using var sock = new FdLease(socket, "classic socket filter");
        fixed (CbpfInstruction* filter = copy)
        {
            var fprog = new SockFprog { Len = (ushort)copy.Length, Filter = filter };
            SyscallChecks.Check(LibC.setsockopt(sock.Fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(SockFprog)),
                "setsockopt(SO_ATTACH_FILTER)", Hints.Attach);
        }
        return SocketFilter.Detaching($"classic socket filter on fd {sock.Fd}", socket);
    }
}
