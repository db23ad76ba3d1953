// xdp-blacklist-live: the xdp-blacklist example's program (../xdp-blacklist/xdp_blacklist.bpf.c) on a real interface.
// `run` creates two network namespaces joined by a veth pair, attaches the program to the receiving end with a bpf
// link, pins the link and the maps in bpffs (so they outlive this process), blocks one of the sender's two addresses,
// sends UDP datagrams from both and shows what arrived and what the program dropped. `add`, `remove` and `list`
// change and show the pinned blacklist, `send` sends more traffic, `teardown` removes it all.
//
//   sudo dotnet XdpBlacklistLive.dll run|send [--packets N] [--name PREFIX]
//   sudo dotnet XdpBlacklistLive.dll add|remove ADDRESS [--name PREFIX]
//   sudo dotnet XdpBlacklistLive.dll list|teardown [--name PREFIX]
using System.Net;
using System.Net.Sockets;
using SharpBpf;
using SharpBpf.Examples;
using SharpBpf.Linux;
using SharpBpf.Linux.Attach;
using SharpBpf.Maps;
using SharpBpf.Objects;
using XdpBlacklistLive;

const string Usage = "usage: xdp-blacklist-live run|send [--packets N] | add ADDRESS | remove ADDRESS | list | teardown   [--name PREFIX]";
Options options;
try
{
    options = Options.Parse(args, "--name", "--packets");
    if (options.Positional.Count == 0)
        throw new ArgumentException("which command?");
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"xdp-blacklist-live: {e.Message}\n{Usage}");
    return 2;
}
if (!Privileges.Check("xdp-blacklist-live"))
    return 1;

var lab = new Lab(options.Get("--name") ?? "sbpf-xdpbl");
if (lab.Name.Length > 13 || lab.Name.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '-'))
{
    Console.Error.WriteLine("xdp-blacklist-live: --name: at most 13 letters, digits or '-' (interface names are limited to 15 characters)");
    return 2;
}
int packets = options.Integer("--packets", 20);
try
{
    var command = options.Positional[0];
    string? Address() => options.Positional.Count == 2 ? options.Positional[1] : throw new ArgumentException($"{command} needs one IPv4 address");
    switch (command)
    {
        case "run":
            SetUp();
            Report();
            Console.WriteLine();
            Console.WriteLine($"left in place for add/remove/list/send; `teardown{(options.Get("--name") is { } n ? " --name " + n : "")}` removes it");
            return 0;
        case "send":
            RequireSetUp();
            Report();
            return 0;
        case "add":
            using (var map = BlacklistMap())
                new BpfMap<uint, ulong>(map).Update(KeyOf(Parse(Address()!)), 0UL, MapUpdateFlags.NoExist);
            Console.WriteLine($"blocked {Address()}");
            return 0;
        case "remove":
            using (var map = BlacklistMap())
                if (!new BpfMap<uint, ulong>(map).Delete(KeyOf(Parse(Address()!))))
                    throw new ArgumentException($"{Address()} is not blocked");
            Console.WriteLine($"unblocked {Address()}");
            return 0;
        case "list":
            List();
            return 0;
        case "teardown":
            var removed = lab.Remove();
            Console.WriteLine(removed.Count == 0 ? $"nothing to remove for {lab.Name}" : "removed " + string.Join(", ", removed));
            return 0;
        default:
            throw new ArgumentException($"unknown command '{command}'\n{Usage}");
    }
}
catch (Exception e) when (e is BpfException or IOException or ArgumentException or SocketException)
{
    Console.Error.WriteLine($"xdp-blacklist-live: {e.Message}");
    return 1;
}

void SetUp()
{
    if (lab.IsSetUp)
        throw new IOException($"{lab.Name} is already set up (namespaces {lab.Receiver}/{lab.Sender} or {lab.PinDir} exist): `send`, or `teardown` first");
    try
    {
        lab.CreateNetwork();
        var spec = ObjectSpec.Load(BpfSource.Compile("xdp_blacklist.bpf.c"));
        using var loaded = new KernelEngine().Load(spec);
        // The attachment is made from inside the receiver's namespace: interface names and indexes are per namespace.
        using var link = NetworkNamespace.Run(lab.Receiver, () => Xdp.Attach(loaded.Programs["xdp_blacklist"].Fd, lab.Receiver));
        BpfFs.EnsureMounted(BpfFs.DefaultPath);
        Directory.CreateDirectory(lab.PinDir);
        link.Pin(lab.LinkPin);
        loaded.PinMaps(lab.PinDir);
        using (var blacklist = BlacklistMap())
            new BpfMap<uint, ulong>(blacklist)[KeyOf(Lab.SenderAddresses[1])] = 0;
        var info = ((BpfLink)link).Info();
        Console.WriteLine($"{link.Description} in network namespace {lab.Receiver} ({Lab.ReceiverAddress}), traffic from {lab.Sender} " +
            $"({string.Join(", ", Lab.SenderAddresses.Select(a => a.ToString()))}); bpf link {info.Id} pinned at {lab.LinkPin}, maps in {lab.PinDir}");
        Console.WriteLine($"blocked {Lab.SenderAddresses[1]}");
    }
    catch
    {
        lab.Remove();
        throw;
    }
}

void RequireSetUp()
{
    if (!File.Exists(lab.LinkPin))
        throw new IOException($"{lab.Name} is not set up ({lab.LinkPin} does not exist): `run` first");
}

KernelMap BlacklistMap()
{
    RequireSetUp();
    return KernelMap.OpenPinned(lab.MapPin("blacklist"));
}

void Report()
{
    using var blacklistMap = KernelMap.OpenPinned(lab.MapPin("blacklist"));
    var blacklist = new BpfMap<uint, ulong>(blacklistMap);
    var dropsBefore = Lab.SenderAddresses.ToDictionary(a => a, a => blacklist.TryGetValue(KeyOf(a), out var d) ? d : 0);
    var arrived = Traffic.SendAndCount(lab, packets);
    Console.WriteLine();
    Console.WriteLine($"{packets} UDP datagrams from each source to {Lab.ReceiverAddress}:{Lab.Port}:");
    Console.WriteLine($"  {"source",-12} {"blocked",-7} {"sent",5} {"arrived",7} {"dropped by XDP",14}");
    foreach (var source in Lab.SenderAddresses)
    {
        bool blocked = blacklist.TryGetValue(KeyOf(source), out var drops);
        Console.WriteLine($"  {source,-12} {(blocked ? "yes" : "no"),-7} {packets,5} {arrived.GetValueOrDefault(source),7} {(blocked ? drops - dropsBefore[source] : 0),14}");
    }
    List();
}

void List()
{
    using var raw = BlacklistMap();
    var blacklistMap = new BpfMap<uint, ulong>(raw);
    Console.WriteLine("blacklist (source: packets dropped since it was added):");
    foreach (var key in blacklistMap.Keys.OrderBy(k => AddressOf(k).GetAddressBytes(), Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y))))
        Console.WriteLine($"  {AddressOf(key),-15} {blacklistMap[key]}");
    using var verdicts = KernelMap.OpenPinned(lab.MapPin("verdicts"));
    var perCpu = new byte[verdicts.UserValueSize];
    Console.WriteLine("verdicts (all frames the program saw, per-CPU counters summed):");
    string[] names = ["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"];
    for (uint action = 0; action < verdicts.MaxEntries; action++)
        if (verdicts.TryLookup(BitConverter.GetBytes(action), perCpu))
        {
            ulong total = 0;
            for (int offset = 0; offset < perCpu.Length; offset += 8)
                total += BitConverter.ToUInt64(perCpu, offset);
            if (total > 0)
                Console.WriteLine($"  {(action < names.Length ? names[action] : $"verdict {action}"),-12} {total}");
        }
}

static IPAddress Parse(string text) =>
    IPAddress.TryParse(text, out var a) && a.AddressFamily == AddressFamily.InterNetwork ? a : throw new ArgumentException($"'{text}' is not an IPv4 address");

// The key is the address's bytes in packet (network) order, read as this little-endian host's uint.
static uint KeyOf(IPAddress address) => BitConverter.ToUInt32(address.GetAddressBytes());

static IPAddress AddressOf(uint key) => new(BitConverter.GetBytes(key));
