using System.Security.Cryptography;
using System.Text;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux.Attach;

/// <summary>Builds the user-space helpers under tests/programs/user/ with gcc at test time (cached by source hash).</summary>
internal static class UserPrograms
{
    private static readonly object Gate = new();

    /// <summary>Compiles <paramref name="file"/> as a non-PIE executable (so symbol addresses differ from file offsets).</summary>
    public static string Build(string file)
    {
        var gcc = Requirements.Tool("gcc");
        var source = Path.Combine(TestPrograms.RepoRoot, "tests", "userprograms", file);
        string[] args = ["-O2", "-g", "-no-pie", "-fno-pie", "-Wall", "-Werror", source];
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(File.ReadAllText(source) + string.Join(' ', args))))[..16].ToLowerInvariant();
        var output = Path.Combine(TestPrograms.CacheDir, $"{Path.GetFileNameWithoutExtension(file)}.{key}");
        lock (Gate)
        {
            if (File.Exists(output))
                return output;
            Directory.CreateDirectory(TestPrograms.CacheDir);
            var temp = output + $".{Environment.ProcessId}.tmp";
            var (code, _, stderr) = TestPrograms.Run(gcc, [.. args, "-o", temp]);
            if (code != 0)
                throw new InvalidOperationException($"gcc failed on {file}:\n{stderr}");
            File.Move(temp, output, overwrite: true);
            return output;
        }
    }
}
