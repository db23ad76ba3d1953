using SharpBpf.Native;
namespace SharpBpf.Linux.Netlink;

/// <summary>The kernel answered a netlink request with an error: the request, the errno and its extended-ack text.</summary>
public class NetlinkException : BpfException
{
    public NetlinkException(string request, int errno, string? kernelMessage)
        : base($"netlink {request} failed: {LibC.ErrorText(errno)} ({Errno.Name(errno)})" +
               (string.IsNullOrEmpty(kernelMessage) ? "" : $": {kernelMessage}"))
    {
        Request = request;
        ErrorNumber = errno;
        KernelMessage = kernelMessage;
    }

    public string Request { get; }
    public int ErrorNumber { get; }
    /// <summary>The NLMSGERR_ATTR_MSG extended ack ("XDP program already attached", ...) when the kernel gave one.</summary>
    public string? KernelMessage { get; }
}
