using System.CommandLine;

namespace SharpBpf.Cli;

internal static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print the SharpBpf version.");
        command.SetAction(_ => Console.WriteLine($"sharpbpf {typeof(BpfException).Assembly.GetName().Version}"));
        return command;
    }
}
