namespace SharpBpf.Tests.Support;

/// <summary>
/// Gates for tests that need something from the machine. Under SHARPBPF_REQUIRE_KERNEL=1 (set by .ci/run)
/// a missing kernel feature or tool fails the test instead of skipping it.
/// </summary>
public static class Requirements
{
    public static bool Strict => Environment.GetEnvironmentVariable("SHARPBPF_REQUIRE_KERNEL") == "1";

    public static bool IsRoot => Environment.UserName == "root" || geteuid() == 0;

    /// <summary>Skips (or, when strict, fails) unless running as root on Linux with a bpf() syscall.</summary>
    public static void Kernel()
    {
        var ok = OperatingSystem.IsLinux() && IsRoot && File.Exists("/sys/kernel/btf/vmlinux");
        Require(ok, "needs root on Linux with BTF (/sys/kernel/btf/vmlinux)");
    }

    /// <summary>Skips (or, when strict, fails) unless the tool is on PATH.</summary>
    public static string Tool(string name)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
        Require(path is not null, $"needs {name} on PATH");
        return path!;
    }

    private static void Require(bool ok, string why)
    {
        if (ok)
            return;
        if (Strict)
            throw new InvalidOperationException($"SHARPBPF_REQUIRE_KERNEL=1 but this test {why}");
        Skip.If(true, why);
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();
}
