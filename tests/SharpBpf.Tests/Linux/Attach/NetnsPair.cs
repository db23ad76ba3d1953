using System.Net;
using System.Net.Sockets;
using System.Text;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux.Attach;

/// <summary>
/// Two fresh network namespaces joined by a veth pair (10.x.y.1 in A, 10.x.y.2 in B), torn down on Dispose.
/// <see cref="InB"/> runs code inside B (attach there, list there); <see cref="UdpReaches"/> sends a datagram from A
/// to B and says whether it arrived.
/// </summary>
internal sealed class NetnsPair : IDisposable
{
    private readonly NetnsThread? _a, _b;

    public NetnsPair()
    {
        Requirements.Tool("ip");
        var tag = Random.Shared.Next(10000, 99999);
        A = $"sharpbpf-test-{tag}-a";
        B = $"sharpbpf-test-{tag}-b";
        VethA = $"sbA{tag}";
        VethB = $"sbB{tag}";
        var net = $"10.{Random.Shared.Next(100, 250)}.{Random.Shared.Next(1, 250)}";
        AddressA = net + ".1";
        AddressB = net + ".2";
        try
        {
            Ip("netns", "add", A);
            Ip("netns", "add", B);
            Ip("link", "add", VethA, "netns", A, "type", "veth", "peer", "name", VethB, "netns", B);
            Ip("-n", A, "addr", "add", AddressA + "/24", "dev", VethA);
            Ip("-n", B, "addr", "add", AddressB + "/24", "dev", VethB);
            Ip("-n", A, "link", "set", VethA, "up");
            Ip("-n", B, "link", "set", VethB, "up");
            _a = new NetnsThread(A);
            _b = new NetnsThread(B);
            // Resolve ARP now, so later datagrams are not held back waiting for it (a "dropped" check would then lie).
            if (!UdpReaches(9, timeoutMs: 10_000))
                throw new InvalidOperationException($"no UDP across the new veth pair {VethA} -> {VethB}");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string A { get; }
    public string B { get; }
    public string VethA { get; }
    public string VethB { get; }
    public string AddressA { get; }
    public string AddressB { get; }

    public T InB<T>(Func<T> action) => _b!.Run(action);
    public void InB(Action action) => _b!.Run(action);

    /// <summary>
    /// Sends one UDP datagram from A to B:<paramref name="port"/>; true when B received it within the timeout. Checks that
    /// expect delivery keep the generous default (the first datagram waits for ARP, and the machine may be busy);
    /// checks that expect a drop pass a short timeout and confirm the drop with the program's counters.
    /// </summary>
    public bool UdpReaches(int port, int timeoutMs = 5000)
    {
        using var receiver = _b!.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(IPAddress.Parse(AddressB), port));
            return s;
        });
        var payload = Encoding.ASCII.GetBytes($"sharpbpf {port} {Guid.NewGuid():N}");
        _a!.Run(() =>
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.SendTo(payload, new IPEndPoint(IPAddress.Parse(AddressB), port));
        });
        var buffer = new byte[256];
        var deadline = Environment.TickCount64 + timeoutMs;
        while (Environment.TickCount64 < deadline)
        {
            if (!receiver.Poll(50_000, SelectMode.SelectRead))
                continue;
            var n = receiver.Receive(buffer);
            if (buffer.AsSpan(0, n).SequenceEqual(payload))
                return true;
        }
        return false;
    }

    private static void Ip(params string[] args)
    {
        var (code, stdout, stderr) = TestPrograms.Run("ip", args);
        if (code != 0)
            throw new InvalidOperationException($"ip {string.Join(' ', args)} failed: {stdout}{stderr}");
    }

    public void Dispose()
    {
        _a?.Dispose();
        _b?.Dispose();
        TestPrograms.Run("ip", ["netns", "del", A]);
        TestPrograms.Run("ip", ["netns", "del", B]);
    }
}
