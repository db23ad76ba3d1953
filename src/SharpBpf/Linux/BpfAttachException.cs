using SharpBpf.Native;
namespace SharpBpf.Linux;

/// <summary>Attaching, detaching or opening a hook failed in the kernel: the operation, the errno and a hint.</summary>
public class BpfAttachException : BpfException
{
    public BpfAttachException(string operation, int errno, string? hint = null)
        : base($"{operation} failed: {LibC.ErrorText(errno)} ({Errno.Name(errno)})" + (hint is null ? "" : "; " + hint))
    {
        Operation = operation;
        ErrorNumber = errno;
    }

    public string Operation { get; }
    public int ErrorNumber { get; }
}

/// <summary>The hook cannot exist on this system (no kprobe PMU nor tracefs kprobe_events, no such tracepoint...).</summary>
public class HookNotSupportedException : BpfNotSupportedException
{
    public HookNotSupportedException(string message) : base(message) { }
}

/// <summary>A section name, target string or argument that does not describe a hook SharpBpf can attach to.</summary>
public class BpfHookSpecException : BpfException
{
    public BpfHookSpecException(string message) : base(message) { }
}
