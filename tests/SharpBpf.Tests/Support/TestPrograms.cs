using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace SharpBpf.Tests.Support;

/// <summary>
/// Compiles the C programs under tests/programs/ with clang at test time (never checked-in binaries),
/// caching each build by a hash of its source and flags.
/// </summary>
public static class TestPrograms
{
    public const string Clang = "clang-14";
    private static readonly object Gate = new();

    public static string RepoRoot { get; } = FindRepoRoot();
    public static string SourceDir => Path.Combine(RepoRoot, "tests", "programs");
    public static string CacheDir { get; } = Path.Combine(RepoRoot, "artifacts", "testprograms");

    /// <summary>Every C source under tests/programs/ (file names only).</summary>
    public static IEnumerable<string> All() =>
        Directory.EnumerateFiles(SourceDir, "*.c").Select(Path.GetFileName).Order().Cast<string>();

    /// <summary>
    /// True when the program's source carries the line <c>// sharpbpf-test: KEY</c> (or <c>KEY=value</c>).
    /// Markers in use: <c>parse-only</c> (exists to test parsing and printing, not running), <c>min-cpu=v3</c>.
    /// </summary>
    public static bool HasMarker(string file, string key) => MarkerValue(file, key) is not null;

    /// <summary>The lowest -mcpu the program compiles for (its <c>min-cpu=</c> marker, else v1).</summary>
    public static string MinimumCpu(string file) => MarkerValue(file, "min-cpu") is { Length: > 0 } v ? v : "v1";

    public static bool SupportsCpu(string file, string cpu) => string.CompareOrdinal(cpu, MinimumCpu(file)) >= 0;

    private static string? MarkerValue(string file, string key)
    {
        const string prefix = "// sharpbpf-test:";
        foreach (var line in File.ReadLines(Path.Combine(SourceDir, file)))
        {
            if (!line.StartsWith(prefix, StringComparison.Ordinal))
                continue;
            foreach (var item in line[prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = item.Split('=', 2);
                if (parts[0] == key)
                    return parts.Length == 2 ? parts[1] : "";
            }
        }
        return null;
    }

    /// <summary>Compiles <paramref name="file"/> (relative to tests/programs/) and returns the object's path.</summary>
    /// <param name="cpu">-mcpu value: v1, v2, v3 or v4 (clang 14 knows v1-v3).</param>
    /// <param name="bigEndian">build for -target bpfeb instead of bpfel.</param>
    public static string Compile(string file, string cpu = "v3", bool bigEndian = false, params string[] extraFlags)
    {
        var source = Path.Combine(SourceDir, file);
        var target = bigEndian ? "bpfeb" : "bpfel";
        string[] args =
        [
            "-target", target, $"-mcpu={cpu}", "-O2", "-g", "-Wall", "-Werror",
            "-I/usr/include/x86_64-linux-gnu", "-I" + SourceDir, .. extraFlags, "-c", source,
        ];
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            File.ReadAllText(source) + HeadersStamp() + string.Join(' ', args))))[..16].ToLowerInvariant();
        var output = Path.Combine(CacheDir, $"{Path.GetFileNameWithoutExtension(file)}.{target}.{cpu}.{key}.o");
        lock (Gate)
        {
            if (File.Exists(output))
                return output;
            Directory.CreateDirectory(CacheDir);
            var temp = output + $".{Environment.ProcessId}.tmp";
            var (code, _, stderr) = Run(Clang, [.. args, "-o", temp]);
            if (code != 0)
                throw new InvalidOperationException($"{Clang} failed on {file}:\n{stderr}");
            File.Move(temp, output, overwrite: true);
            return output;
        }
    }

    public static byte[] CompileBytes(string file, string cpu = "v3", bool bigEndian = false) =>
        File.ReadAllBytes(Compile(file, cpu, bigEndian));

    /// <summary>Runs a program to completion and returns exit code, stdout and stderr.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string program, IEnumerable<string> args, string? stdin = null,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            psi.Environment[name] = value;
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {program}");
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        }
        var stdoutTask = process.StandardOutput.ReadToEndAsync();
        var stderrTask = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdoutTask.Result, stderrTask.Result);
    }

    private static string HeadersStamp() =>
        string.Concat(Directory.EnumerateFiles(SourceDir, "*.h").Order().Select(File.ReadAllText));

    private static string FindRepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "SharpBpf.slnx")))
            dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("cannot find the repository root (SharpBpf.slnx) above " + AppContext.BaseDirectory);
    }
}
