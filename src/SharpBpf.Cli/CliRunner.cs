using System.CommandLine;

namespace SharpBpf.Cli;

/// <summary>Runs the parsed command; a <see cref="BpfException"/> or I/O error becomes one line on stderr and exit code 1.</summary>
internal static class CliRunner
{
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
        catch (Exception e) when (e is BpfException or IOException or UnauthorizedAccessException or FormatException or ArgumentException)
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"sharpbpf: {e.Message}");
            return 1;
        }
    }
}
