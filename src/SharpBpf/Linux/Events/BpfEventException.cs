using SharpBpf.Native;
namespace SharpBpf.Linux.Events;

/// <summary>Setting up or waiting on an event reader failed in the kernel: the operation, the errno and a hint.</summary>
public class BpfEventException : BpfException
{
    /// <summary>The <paramref name="operation"/> failed with <paramref name="errno"/>; <paramref name="hint"/> says what to do about it.</summary>
    public BpfEventException(string operation, int errno, string? hint = null)
        : base($"{operation} failed: {LibC.ErrorText(errno)} ({Errno.Name(errno)})" + (hint is null ? "" : "; " + hint))
    {
        Operation = operation;
        ErrorNumber = errno;
    }

    /// <summary>The system call that failed.</summary>
    public string Operation { get; }

    /// <summary>Its errno.</summary>
    public int ErrorNumber { get; }
}
