using SharpBpf.Native;
namespace SharpBpf.Linux;

/// <summary>A bpf() call the kernel refused: the command, the errno and what to do about it.</summary>
public class BpfSyscallException : BpfException
{
    public BpfSyscallException(BpfCommand command, int errno, string? hint = null, string? subject = null)
        : base(Describe(command, errno, hint, subject))
    {
        Command = command;
        ErrorNumber = errno;
        Hint = hint;
    }

    protected BpfSyscallException(BpfCommand command, int errno, string message, bool _)
        : base(message)
    {
        Command = command;
        ErrorNumber = errno;
    }

    public BpfCommand Command { get; }
    public int ErrorNumber { get; }
    public string? Hint { get; }

    private static string Describe(BpfCommand command, int errno, string? hint, string? subject)
    {
        var what = subject is null ? "" : subject + ": ";
        var text = $"{what}bpf({KernelNames.Command(command)}) failed: {LibC.ErrorText(errno)} ({Errno.Name(errno)})";
        return hint is null ? text : text + ". " + hint;
    }
}

/// <summary>
/// The verifier rejected a program. <see cref="VerifierLog"/> is the kernel's whole log; when line info was available,
/// <see cref="Message"/> also quotes the source line of the failing instruction.
/// </summary>
public sealed class BpfVerifierException : BpfSyscallException
{
    public BpfVerifierException(string program, int errno, string log, string? sourceContext)
        : base(BpfCommand.ProgLoad, errno, Describe(program, errno, log, sourceContext), true)
    {
        Program = program;
        VerifierLog = log;
        SourceContext = sourceContext;
    }

    public string Program { get; }
    public string VerifierLog { get; }
    /// <summary>The source line(s) the failing instruction came from, from .BTF.ext line info, or null.</summary>
    public string? SourceContext { get; }

    private static string Describe(string program, int errno, string log, string? source)
    {
        var lines = log.TrimEnd('\n', '\0');
        var sb = new System.Text.StringBuilder();
        sb.Append($"program '{program}': the verifier rejected it ({Errno.Name(errno)})");
        if (source is not null)
            sb.Append("\nat ").Append(source);
        sb.Append("\nverifier log:\n").Append(lines);
        return sb.ToString();
    }
}
