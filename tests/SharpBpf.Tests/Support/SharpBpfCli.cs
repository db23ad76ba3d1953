namespace SharpBpf.Tests.Support;

/// <summary>Runs the real sharpbpf CLI (the sharpbpf.dll built next to the tests) as a separate process.</summary>
public static class SharpBpfCli
{
    public static string DllPath { get; } = Path.Combine(AppContext.BaseDirectory, "sharpbpf.dll");

    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args) =>
        TestPrograms.Run("dotnet", [DllPath, .. args]);

    public static (int ExitCode, string Stdout, string Stderr) RunWithInput(string stdin, params string[] args) =>
        TestPrograms.Run("dotnet", [DllPath, .. args], stdin);
}
