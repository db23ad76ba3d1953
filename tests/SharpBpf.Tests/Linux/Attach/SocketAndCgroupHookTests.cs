using SharpBpf.Linux;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpBpf.Linux.Attach;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux.Attach;

/// <summary>A socket filter on a UDP socket and a cgroup_skb egress program on a temporary cgroup v2 directory.</summary>
public class SocketAndCgroupHookTests
{
    [SkippableFact]
    public void SocketFilterDropsMarkedDatagramsUntilDetached()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject("hook_socket_filter.c");
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var link = AutoAttach.Attach(obj.Program("drop_d"), "socket", new AutoAttachOptions { Socket = receiver });
        Assert.False(link.IsBpfLink);
        Assert.Throws<BpfHookSpecException>(() => link.Pin("/sys/fs/bpf/nope"));

        foreach (var text in new[] { "Drop me", "Keep me", "Drop me too", "Keep me too" })
            sender.SendTo(Encoding.ASCII.GetBytes(text), receiver.LocalEndPoint!);
        Assert.Equal(["Keep me", "Keep me too"], Drain(receiver));
        Assert.Equal(4UL, obj.ReadU64("counts", 0));
        Assert.Equal(2UL, obj.ReadU64("counts", 1));

        link.Dispose();
        sender.SendTo("Drop me now"u8.ToArray(), receiver.LocalEndPoint!);
        Assert.Equal(["Drop me now"], Drain(receiver));
        Assert.Equal(4UL, obj.ReadU64("counts", 0));
    }

    [SkippableFact]
    public void CgroupSkbEgressSeesAndDropsTrafficOfProcessesInTheCgroup()
    {
        Requirements.Kernel();
        var bash = Requirements.Tool("bash");
        var root = File.ReadLines("/proc/self/mounts").Select(l => l.Split(' ')).FirstOrDefault(f => f.Length > 2 && f[2] == "cgroup2")?[1];
        Skip.If(root is null && !Requirements.Strict, "no cgroup v2 mount");
        Assert.NotNull(root);
        var cgroup = Path.Combine(root, $"sharpbpf-test-{Environment.ProcessId}-{Random.Shared.Next(100000)}");
        Directory.CreateDirectory(cgroup);
        try
        {
            using var obj = new LoadedObject("hook_cgroup_skb.c");
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
            var script = $"echo $$ > {cgroup}/cgroup.procs || exit 9; echo dropped > /dev/udp/127.0.0.1/9797; echo allowed > /dev/udp/127.0.0.1/{port}";
            using (var link = AutoAttach.Attach(obj.Program("egress_drop_9797"), "cgroup_skb/egress", new AutoAttachOptions { CgroupPath = cgroup }))
            {
                Assert.True(link.IsBpfLink);
                var (code, _, stderr) = TestPrograms.Run(bash, ["-c", script]);
                Assert.True(code == 0, stderr);
                Assert.Contains("Operation not permitted", stderr);  // a cgroup_skb drop fails the sender's write with EPERM
                Assert.Equal(["allowed\n"], Drain(listener));
                Assert.Equal(1UL, obj.ReadU64("counts", 1));
                Assert.True(obj.ReadU64("counts", 0) >= 2);
            }
            var seen = obj.ReadU64("counts", 0);
            var after = TestPrograms.Run(bash, ["-c", script]);
            Assert.Equal("", after.Stderr);
            Assert.Equal(["allowed\n"], Drain(listener));
            Assert.Equal(seen, obj.ReadU64("counts", 0));  // detached
        }
        finally
        {
            Directory.Delete(cgroup);
        }
    }

    [SkippableFact]
    public void MissingCgroupDirectoriesAreReported()
    {
        Requirements.Kernel();
        using var obj = new LoadedObject("hook_cgroup_skb.c");
        var e = Assert.Throws<BpfHookSpecException>(() => Cgroup.Attach(obj.Program("egress_drop_9797").Fd, "/sys/fs/cgroup/no-such-cgroup", BpfAttachType.CgroupInetEgress));
        Assert.Contains("/sys/fs/cgroup/no-such-cgroup", e.Message);
    }

    private static List<string> Drain(Socket socket)
    {
        var result = new List<string>();
        var buffer = new byte[256];
        while (socket.Poll(300_000, SelectMode.SelectRead))
            result.Add(Encoding.ASCII.GetString(buffer, 0, socket.Receive(buffer)));
        return result;
    }
}
