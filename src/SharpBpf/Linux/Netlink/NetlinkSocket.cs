using SharpBpf.Native;
using System.Buffers.Binary;

namespace SharpBpf.Linux.Netlink;

/// <summary>
/// An AF_NETLINK socket (NETLINK_ROUTE by default) that sends one request at a time and collects its answer:
/// the ACK, the error (as <see cref="NetlinkException"/>, with the kernel's extended-ack message), or a dump.
/// </summary>
internal sealed unsafe class NetlinkSocket : IDisposable
{
    public const int NETLINK_ROUTE = 0;
    private const int AF_NETLINK = 16, SOCK_RAW = 3, SOCK_CLOEXEC = 0x80000, SOL_NETLINK = 270,
        NETLINK_CAP_ACK = 10, NETLINK_EXT_ACK = 11;
    private const ushort NLMSG_ERROR = 2, NLMSG_DONE = 3, NLM_F_ACK_TLVS = 0x200, NLM_F_CAPPED = 0x100;
    private const ushort NLMSGERR_ATTR_MSG = 1;

    private readonly BpfFd _fd;
    private uint _sequence = (uint)Environment.TickCount;

    public NetlinkSocket(int protocol = NETLINK_ROUTE)
    {
        _fd = SyscallChecks.CheckFd(LibC.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol), "socket(AF_NETLINK)");
        var one = 1;
        // Best effort: older kernels lack these options and then simply give plain errors.
        LibC.setsockopt(_fd.Value, SOL_NETLINK, NETLINK_EXT_ACK, &one, 4);
        LibC.setsockopt(_fd.Value, SOL_NETLINK, NETLINK_CAP_ACK, &one, 4);
        Span<byte> addr = stackalloc byte[12];
        addr.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(addr, AF_NETLINK);
        fixed (byte* a = addr)
            SyscallChecks.Check(LibC.bind(_fd.Value, a, 12), "bind(AF_NETLINK)");
    }

    /// <summary>Sends a request flagged NLM_F_ACK and waits for its ACK; throws on error.</summary>
    public void Execute(NetlinkMessageBuilder request, string what) => Exchange(request, what, dump: false);

    /// <summary>Sends a NLM_F_DUMP request and returns every reply message until NLMSG_DONE.</summary>
    public IReadOnlyList<NetlinkMessage> Dump(NetlinkMessageBuilder request, string what) => Exchange(request, what, dump: true);

    private List<NetlinkMessage> Exchange(NetlinkMessageBuilder request, string what, bool dump)
    {
        var seq = ++_sequence;
        var bytes = request.Build(seq);
        fixed (byte* p = bytes)
        {
            // Destination: the kernel (nl_pid 0).
            Span<byte> addr = stackalloc byte[12];
            addr.Clear();
            BinaryPrimitives.WriteUInt16LittleEndian(addr, AF_NETLINK);
            fixed (byte* a = addr)
                SyscallChecks.Check(LibC.sendto(_fd.Value, p, bytes.Length, 0, a, 12), $"netlink send ({what})");
        }
        var replies = new List<NetlinkMessage>();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            nint n;
            fixed (byte* b = buffer)
                n = LibC.recv(_fd.Value, b, buffer.Length, 0);
            if (n < 0)
            {
                if (LibC.LastErrno == Errno.EINTR)
                    continue;
                throw new BpfAttachException($"netlink receive ({what})", LibC.LastErrno);
            }
            var offset = 0;
            while (offset + 16 <= n)
            {
                var len = (int)BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset));
                var type = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(offset + 4));
                var flags = BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(offset + 6));
                var mseq = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset + 8));
                if (len < 16 || offset + len > n)
                    throw new BpfFormatException($"netlink reply of length {len} overruns the datagram", offset);
                var payload = buffer.AsMemory(offset + 16, len - 16).ToArray();
                offset += (len + 3) & ~3;
                if (mseq != seq)
                    continue;  // a late answer to an earlier request
                if (type == NLMSG_DONE)
                    return replies;
                if (type == NLMSG_ERROR)
                {
                    var error = BinaryPrimitives.ReadInt32LittleEndian(payload);
                    if (error == 0)
                    {
                        if (!dump)
                            return replies;
                        continue;
                    }
                    throw new NetlinkException(what, -error, ExtAckMessage(payload, flags));
                }
                replies.Add(new NetlinkMessage(type, flags, mseq, payload));
                if (!dump)
                    continue;
            }
        }
    }

    /// <summary>The NLMSGERR_ATTR_MSG text after an error's echoed request (capped or whole).</summary>
    private static string? ExtAckMessage(byte[] payload, ushort flags)
    {
        if ((flags & NLM_F_ACK_TLVS) == 0 || payload.Length < 20)
            return null;
        var echoedLen = (flags & NLM_F_CAPPED) != 0 ? 16 : (int)BinaryPrimitives.ReadUInt32LittleEndian(payload.AsSpan(4));
        var start = 4 + ((echoedLen + 3) & ~3);
        if (start > payload.Length)
            return null;
        try
        {
            return NetlinkAttributes.Parse(payload.AsMemory(start)).Find(NLMSGERR_ATTR_MSG)?.String;
        }
        catch (BpfFormatException)
        {
            return null;
        }
    }

    public void Dispose() => _fd.Dispose();
}
