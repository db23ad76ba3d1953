using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace SharpBpf.Examples;

/// <summary>
/// Compiles an example's BPF C source (shipped next to the example's assembly) with clang-14 when the example starts,
/// caching the object by the source's hash, so `dotnet run` needs no separate build step for the BPF side.
/// </summary>
public static class BpfSource
{
    /// <summary>Returns the path of the object compiled from <paramref name="fileName"/> (e.g. "slab_ages.bpf.c").</summary>
    public static string Compile(string fileName)
    {
        var source = Path.Combine(AppContext.BaseDirectory, fileName);
        if (!File.Exists(source))
            throw new IOException($"{fileName} is not next to the example ({AppContext.BaseDirectory}); rebuild the example");
        var arch = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "arm64" : "x86";
        var triple = arch == "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
        string[] args = ["-target", "bpf", "-O2", "-g", "-Wall", $"-D__TARGET_ARCH_{arch}", $"-I/usr/include/{triple}", "-c", source];
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(File.ReadAllText(source) + string.Join(' ', args))))[..16].ToLowerInvariant();
        var cacheDir = Path.Combine(Path.GetTempPath(), $"sharpbpf-examples-{Environment.UserName}");
        Directory.CreateDirectory(cacheDir);
        var output = Path.Combine(cacheDir, $"{Path.GetFileNameWithoutExtension(Path.GetFileNameWithoutExtension(fileName))}.{hash}.o");
        if (File.Exists(output))
            return output;
        var temp = $"{output}.{Environment.ProcessId}.tmp";
        var psi = new ProcessStartInfo("clang-14") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("-o");
        psi.ArgumentList.Add(temp);
        Process process;
        try
        {
            process = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new IOException("clang-14 is not installed (scripts/install-prerequisites.sh installs it)");
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new IOException($"clang-14 failed on {fileName}:\n{stderr}");
        }
        File.Move(temp, output, overwrite: true);
        return output;
    }
}
