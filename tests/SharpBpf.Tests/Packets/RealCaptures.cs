using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Packets;

/// <summary>
/// Captures made once per test run by tcpdump, tshark and editcap on traffic between two network namespaces
/// (make-real-captures.sh); deleted when the test process exits.
/// </summary>
public static class RealCaptures
{
    public static readonly string[] Files =
    [
        "tcpdump-us.pcap", "tcpdump-ns.pcap", "tcpdump-snap64.pcap", "tshark.pcapng",
        "editcap-us.pcap", "editcap-ns.pcap", "editcap.pcapng",
    ];

    private static readonly Lazy<string> Made = new(Make);

    /// <summary>The capture directory; skips (or fails when strict) without root, ip, tcpdump, tshark or editcap.</summary>
    public static string Directory
    {
        get
        {
            Requirements.Kernel();
            foreach (var tool in new[] { "ip", "tcpdump", "tshark", "editcap" })
                Requirements.Tool(tool);
            return Made.Value;
        }
    }

    private static string Make()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"sharpbpf-captures-{Environment.ProcessId}");
        System.IO.Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => System.IO.Directory.Delete(dir, recursive: true);
        var script = Path.Combine(TestPrograms.RepoRoot, "tests", "SharpBpf.Tests", "Packets", "make-real-captures.sh");
        var (code, stdout, stderr) = TestPrograms.Run("bash", [script, dir]);
        if (code != 0)
            throw new InvalidOperationException($"make-real-captures.sh failed ({code}):\n{stdout}\n{stderr}");
        return dir;
    }
}
