using System.CommandLine;

namespace SharpBpf.Cli;

internal static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print the SharpBpf version.");
        command.SetAction(_ => Run());
        return command;
    }

    /// <summary>The version, and how this build runs the VM (as bpftool's version lists its features).</summary>
    public static int Run()
    {
        Console.WriteLine($"sharpbpf {typeof(BpfException).Assembly.GetName().Version}");
        Console.WriteLine($"features: {JitCompanion.Features}");
        return 0;
    }
}
