using System.Diagnostics;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Examples;

/// <summary>Runs an example host built next to the tests (`dotnet X.dll ...`), with a time limit, optionally as nobody.</summary>
internal static class ExampleRunner
{
    public static string Dll(string name) => Path.Combine(AppContext.BaseDirectory, name + ".dll");

    /// <summary>Runs the example to completion (killing it after <paramref name="limit"/>) and returns its exit code and output.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string example, IEnumerable<string> args, TimeSpan? limit = null, bool asNobody = false)
    {
        var psi = new ProcessStartInfo(asNobody ? "setpriv" : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in asNobody ? Unprivileged.DotnetArgs(example + ".dll") : [Dll(example)])
            psi.ArgumentList.Add(a);
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start dotnet");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit ?? TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{example} did not finish in time; output so far:\n{stdout.Result}\n{stderr.Result}");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Run as nobody without arguments, the example must refuse in one line and a non-zero exit code.</summary>
    public static void AssertRefusesWithoutRoot(string example, string name, params string[] args)
    {
        Requirements.Kernel(); // setpriv needs root to switch to nobody
        Requirements.Tool("setpriv");
        var (code, stdout, stderr) = Run(example, args, asNobody: true);
        Assert.NotEqual(0, code);
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"{name}: needs root", line);
    }
}
