using System.Text.RegularExpressions;
using SharpBpf.Linux;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Examples;

/// <summary>
/// Runs examples/xdp-blacklist-live end to end in network namespaces of its own: real UDP datagrams across a veth
/// pair, the blocked source's dropped by XDP and the other's delivered; the pinned blacklist changed by add/remove
/// from other processes; teardown detaching the link and removing the namespaces.
/// </summary>
public sealed partial class XdpBlacklistLiveExampleTests
{
    private const string Blocked = "10.201.0.3", Allowed = "10.201.0.2";

    [SkippableFact]
    public void BlocksRealTrafficAndFollowsThePinnedBlacklist()
    {
        Requirements.Kernel();
        Requirements.Tool("ip");
        var name = $"sbt{Environment.ProcessId % 100000}";
        string[] named = ["--name", name];
        try
        {
            var (code, stdout, stderr) = Live(["run", "--packets", "8", .. named]);
            Assert.True(code == 0, stderr);
            var linkId = uint.Parse(LinkId().Match(stdout).Groups[1].Value);
            Assert.Equal((true, 8, 0, 8), Row(stdout, Blocked));  // every datagram from the blocked source dropped by the program
            Assert.Equal((false, 8, 8, 0), Row(stdout, Allowed)); // every other one delivered to the socket
            Assert.True(File.Exists($"/sys/fs/bpf/{name}/xdp_link"));
            using (var link = SharpBpf.Linux.Attach.BpfLink.FromId(linkId)) // the pinned link outlived the process that made it
                Assert.Equal(SharpBpf.Linux.Attach.BpfLinkType.Xdp, link.Info().Type);

            Assert.Equal(0, Live(["remove", Blocked, .. named]).ExitCode);
            Assert.Equal(0, Live(["add", Allowed, .. named]).ExitCode);
            Assert.Equal(1, Live(["add", "not-an-address", .. named]).ExitCode);
            (code, stdout, stderr) = Live(["send", "--packets", "5", .. named]);
            Assert.True(code == 0, stderr);
            Assert.Equal((false, 5, 5, 0), Row(stdout, Blocked));
            Assert.Equal((true, 5, 0, 5), Row(stdout, Allowed));

            (code, stdout, _) = Live(["list", .. named]);
            Assert.Equal(0, code);
            Assert.Matches($@"blacklist[^\n]*\n  {Regex.Escape(Allowed)}\s+5\n", stdout);
            Assert.DoesNotContain(Blocked, stdout);
            Assert.Matches(@"XDP_DROP\s+13\n", stdout); // 8 + 5 over both rounds

            (code, stdout, _) = Live(["teardown", .. named]);
            Assert.Equal(0, code);
            Assert.False(Directory.Exists($"/sys/fs/bpf/{name}"));
            Assert.False(File.Exists($"/run/netns/{name}-a"));
            // The kernel frees an unpinned link from a workqueue: it goes away shortly after.
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (SharpBpf.Linux.Attach.BpfLink.List().Any(l => l.Id == linkId) && DateTime.UtcNow < deadline)
                Thread.Sleep(20);
            Assert.DoesNotContain(SharpBpf.Linux.Attach.BpfLink.List(), l => l.Id == linkId); // detached and freed
            Assert.Equal(1, Live(["list", .. named]).ExitCode); // nothing left to list
        }
        finally
        {
            Live(["teardown", .. named]);
        }
    }

    [SkippableFact]
    public void RefusesWithoutRoot() => ExampleRunner.AssertRefusesWithoutRoot("XdpBlacklistLive", "xdp-blacklist-live", "list");

    private static (int ExitCode, string Stdout, string Stderr) Live(string[] args) => ExampleRunner.Run("XdpBlacklistLive", args);

    /// <summary>The report row of a source: blocked?, sent, arrived, dropped by XDP.</summary>
    private static (bool, int, int, int) Row(string stdout, string source)
    {
        var m = new Regex($@"^  {Regex.Escape(source)}\s+(yes|no)\s+(\d+)\s+(\d+)\s+(\d+)$", RegexOptions.Multiline).Match(stdout);
        Assert.True(m.Success, stdout);
        return (m.Groups[1].Value == "yes", int.Parse(m.Groups[2].Value), int.Parse(m.Groups[3].Value), int.Parse(m.Groups[4].Value));
    }

    [GeneratedRegex(@"bpf link (\d+) pinned at")]
    private static partial Regex LinkId();
}
