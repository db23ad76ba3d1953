using System.Diagnostics;
using System.Runtime.InteropServices;
using SharpBpf.Linux.Attach;
using SharpBpf.PcapFilter;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.PcapFilter;

/// <summary>
/// A tcpdump expression compiled here, attached with SO_ATTACH_FILTER to a packet socket on one end of a veth
/// pair whose other end lives in a network namespace this test creates: UDP to two ports, pings and ARP cross
/// the link, and the socket sees only the frames the filter accepts.
/// </summary>
public sealed class ClassicSocketFilterTests : IDisposable
{
    private const string Ns = "sbi15ns", Outside = "sbi15a", Inside = "sbi15b";
    private const string OutsideIp = "10.215.0.1", InsideIp = "10.215.0.2";

    private static void Run(string command)
    {
        var info = new ProcessStartInfo("bash", ["-c", command]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{command}: {stderr}");
    }

    public void Dispose()
    {
        try { Run($"ip link del {Outside} 2>/dev/null; ip netns del {Ns} 2>/dev/null; true"); }
        catch (InvalidOperationException) { }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern nint recv(int fd, byte[] buffer, nint length, int flags);
    [DllImport("libc", SetLastError = true)]
    private static extern int socket(int domain, int type, int protocol);
    [DllImport("libc", SetLastError = true)]
    private static extern unsafe int bind(int fd, byte* address, int length);
    [DllImport("libc", SetLastError = true)]
    private static extern unsafe int setsockopt(int fd, int level, int name, void* value, int length);

    [SkippableFact]
    public unsafe void Packet_socket_sees_only_the_frames_the_filter_accepts()
    {
        Requirements.Kernel();
        Requirements.Tool("ip");
        Dispose();
        Run($"ip netns add {Ns} && ip link add {Outside} type veth peer name {Inside} && ip link set {Inside} netns {Ns}" +
            $" && ip addr add {OutsideIp}/24 dev {Outside} && ip link set {Outside} up" +
            $" && ip netns exec {Ns} ip addr add {InsideIp}/24 dev {Inside} && ip netns exec {Ns} ip link set {Inside} up");
        var ifindex = int.Parse(File.ReadAllText($"/sys/class/net/{Outside}/ifindex").Trim(), System.Globalization.CultureInfo.InvariantCulture);

        // Protocol 0 receives nothing until bound, so no frame slips in before the filter is attached.
        var fd = socket(17 /* AF_PACKET */, 3 /* SOCK_RAW */, 0);
        Assert.True(fd >= 0, $"socket(AF_PACKET): errno {Marshal.GetLastPInvokeError()}");
        using var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        var program = PcapFilterCompiler.Compile("udp dst port 7777");
        using var link = ClassicSocketFilter.Attach(program, handle);
        var timeout = stackalloc long[2] { 0, 300_000 };
        Assert.Equal(0, setsockopt(fd, 1, 20 /* SO_RCVTIMEO */, timeout, 16));
        var address = stackalloc byte[20];
        *(ushort*)address = 17;
        *(ushort*)(address + 2) = 0x0300; // htons(ETH_P_ALL)
        *(int*)(address + 4) = ifindex;
        Assert.Equal(0, bind(fd, address, 20));

        Run($"ip netns exec {Ns} bash -c 'ping -c 2 -i 0.2 -W 1 {OutsideIp} >/dev/null; for i in 1 2 3; do echo match$i > /dev/udp/{OutsideIp}/7777; echo other$i > /dev/udp/{OutsideIp}/7778; done'");

        var frames = new List<byte[]>();
        var buffer = new byte[2048];
        while (true)
        {
            var n = recv(fd, buffer, buffer.Length, 0);
            if (n <= 0)
                break;
            frames.Add(buffer[..(int)n]);
        }
        Assert.Equal(3, frames.Count);
        foreach (var frame in frames)
        {
            Assert.Equal(0x0800, frame[12] << 8 | frame[13]);
            Assert.Equal(17, frame[23]);
            Assert.Equal(7777, frame[36] << 8 | frame[37]);
            Assert.True(new Cbpf.CbpfFilter(program).Matches(frame, (uint)frame.Length));
        }
    }
}
