using System.Net;

namespace XdpBlacklistLive;

/// <summary>
/// What `run` sets up, all named after one prefix: two network namespaces joined by a veth pair, the XDP program on
/// the receiving end (namespace "-a"), and the pins (link and maps) in a bpffs directory. Addresses are 10.201.0.x,
/// inside the example's own namespaces only.
/// </summary>
internal sealed record Lab(string Name)
{
    public string Receiver => Name + "-a";   // namespace and interface of the side the XDP program guards
    public string Sender => Name + "-b";     // namespace and interface the traffic comes from
    public string PinDir => Path.Combine("/sys/fs/bpf", Name);
    public string LinkPin => Path.Combine(PinDir, "xdp_link");
    public string MapPin(string map) => Path.Combine(PinDir, map);

    public static readonly IPAddress ReceiverAddress = IPAddress.Parse("10.201.0.1");
    /// <summary>The sender's two addresses: `run` blocks the second.</summary>
    public static readonly IPAddress[] SenderAddresses = [IPAddress.Parse("10.201.0.2"), IPAddress.Parse("10.201.0.3")];
    public const int Port = 9999;

    public bool IsSetUp => Directory.Exists(PinDir) || NetworkNamespace.Exists(Receiver) || NetworkNamespace.Exists(Sender);

    /// <summary>Creates the namespaces and the veth pair, addresses them and brings everything up.</summary>
    public void CreateNetwork()
    {
        NetworkNamespace.Ip("netns", "add", Receiver);
        NetworkNamespace.Ip("netns", "add", Sender);
        NetworkNamespace.Ip("link", "add", Receiver, "netns", Receiver, "type", "veth", "peer", "name", Sender, "netns", Sender);
        NetworkNamespace.Ip("-n", Receiver, "addr", "add", $"{ReceiverAddress}/24", "dev", Receiver);
        foreach (var address in SenderAddresses)
            NetworkNamespace.Ip("-n", Sender, "addr", "add", $"{address}/24", "dev", Sender);
        foreach (var ns in new[] { Receiver, Sender })
        {
            NetworkNamespace.Ip("-n", ns, "link", "set", "lo", "up");
            NetworkNamespace.Ip("-n", ns, "link", "set", ns, "up");
        }
    }

    /// <summary>Removes whatever exists of the lab: the pins (the link pin's removal detaches the program), then the namespaces.</summary>
    public List<string> Remove()
    {
        var removed = new List<string>();
        if (Directory.Exists(PinDir))
        {
            Directory.Delete(PinDir, recursive: true);
            removed.Add(PinDir);
        }
        foreach (var ns in new[] { Receiver, Sender })
            if (NetworkNamespace.Exists(ns))
            {
                NetworkNamespace.Ip("netns", "del", ns); // takes its end of the veth pair (and so the pair) with it
                removed.Add("network namespace " + ns);
            }
        return removed;
    }
}
