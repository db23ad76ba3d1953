namespace SharpBpf.Examples;

/// <summary>The examples that load programs into the kernel need root (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN...).</summary>
public static partial class Privileges
{
    /// <summary>True when running as root on Linux.</summary>
    public static bool IsRoot => OperatingSystem.IsLinux() && geteuid() == 0;

    /// <summary>
    /// Prints one line saying why the example cannot run and returns false when not root, so Main can
    /// `if (!Privileges.Check("slab-ages")) return 1;`.
    /// </summary>
    public static bool Check(string example)
    {
        if (IsRoot)
            return true;
        Console.Error.WriteLine($"{example}: needs root (loading BPF programs into the kernel needs CAP_BPF and CAP_PERFMON{(example.StartsWith("xdp", StringComparison.Ordinal) ? ", CAP_NET_ADMIN" : "")}); run it with sudo");
        return false;
    }

    [System.Runtime.InteropServices.LibraryImport("libc")]
    private static partial uint geteuid();
}
