using System.CommandLine;

namespace SharpBpf.Cli;

/// <summary>
/// Runs the parsed command; a <see cref="BpfException"/> or I/O error becomes one line on stderr and exit code 1. Any other
/// exception is a SharpBpf bug (bad input must be refused with a library exception first): still one line, exit code
/// <see cref="InternalError"/>, never a stack trace or a crash.
/// </summary>
internal static class CliRunner
{
    /// <summary>The exit code of an unexpected exception (EX_SOFTWARE): what the fuzz harness counts as a bug.</summary>
    public const int InternalError = 70;

    public static int Run(RootCommand root, string[] args)
    {
        if (args.Length == 0)
            args = ["--help"];
        // Without this, System.CommandLine catches exceptions thrown by actions and prints a stack trace.
        return Run(() => root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
    }

    /// <summary>Runs a command body with the same error handling (for commands dispatched before the tree is built).</summary>
    public static int Run(Func<int> command)
    {
        try
        {
            return command();
        }
        catch (Exception e)
        {
            Console.Out.Flush();
            return Fail(e);
        }
    }

    /// <summary>Prints the one-line error for <paramref name="e"/>; returns the exit code.</summary>
    public static int Fail(Exception e)
    {
        if (IsUserError(e))
        {
            Console.Error.WriteLine($"sharpbpf: {e.Message}");
            return 1;
        }
        Console.Error.WriteLine($"sharpbpf: internal error ({e.GetType().Name}: {e.Message}); please report it with the input");
        return InternalError;
    }

    /// <summary>Whether <paramref name="e"/> is the user's input or the system refusing (a one-line message), not a bug of ours.</summary>
    public static bool IsUserError(Exception e) =>
        e is BpfException or IOException or UnauthorizedAccessException or FormatException or ArgumentException;
}
