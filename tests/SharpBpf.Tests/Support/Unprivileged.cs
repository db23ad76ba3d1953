namespace SharpBpf.Tests.Support;

/// <summary>
/// Runs a built .NET program as <c>nobody</c>. The build folder may sit in a directory nobody cannot enter (a clone
/// under root's 0700 home), so the program runs from a world-readable copy of the test's output folder.
/// </summary>
public static class Unprivileged
{
    private static readonly Lazy<string> BinCopy = new(CopyOutputFolder);

    /// <summary>setpriv's arguments that run <paramref name="dll"/> (a file name in the test's output folder) as nobody with dotnet.</summary>
    public static string[] DotnetArgs(string dll) =>
        ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "env", "HOME=/tmp", "DOTNET_CLI_HOME=/tmp", "dotnet",
         Path.Combine(BinCopy.Value, dll)];

    private static string CopyOutputFolder()
    {
        const UnixFileMode WorldReadable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("running as nobody needs Linux");
        var root = Path.Combine(Path.GetTempPath(), $"sharpbpf-tests-bin-{Environment.ProcessId}");
        var source = AppContext.BaseDirectory;
        foreach (var dir in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories).Prepend(source))
            Directory.CreateDirectory(Path.Combine(root, Path.GetRelativePath(source, dir)), WorldReadable);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(root, Path.GetRelativePath(source, file));
            File.Copy(file, copy, overwrite: true);
            File.SetUnixFileMode(copy, File.GetUnixFileMode(copy) | UnixFileMode.OtherRead | UnixFileMode.GroupRead);
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(root, recursive: true);
        return root;
    }
}
