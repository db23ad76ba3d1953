// The xdp-blacklist example: load xdp_blacklist.bpf.c (compiled by clang), fill its `blacklist` map from a text file,
// run every packet of a capture through the program, then print how many packets got each verdict and what the
// maps hold. Runs on the embedded VM (no root needed) or, with --engine kernel, in the Linux kernel (root).
//
//   dotnet XdpBlacklist.dll xdp_blacklist.o blacklist.txt sample.pcap [--engine vm|kernel]
using System.Net;
using SharpBpf;
using SharpBpf.Linux;
using SharpBpf.Objects;
using SharpBpf.Packets;
using SharpBpf.Vm;
using XdpBlacklist;

string[] positional = [.. args.Where(a => !a.StartsWith("--", StringComparison.Ordinal) && a is not ("vm" or "kernel"))];
int engineFlag = Array.IndexOf(args, "--engine");
string engine = engineFlag >= 0 && engineFlag + 1 < args.Length ? args[engineFlag + 1] : "vm";
if (positional.Length != 3 || engine is not ("vm" or "kernel"))
{
    Console.Error.WriteLine("usage: XdpBlacklist OBJECT BLACKLIST.txt CAPTURE.pcap [--engine vm|kernel]");
    return 2;
}
var (objectPath, blacklistPath, capturePath) = (positional[0], positional[1], positional[2]);

try
{
    // 1. Parse the object file: programs and map definitions, nothing created yet.
    var obj = ObjectSpec.Load(objectPath);

    // 2. Load it: the maps are created and the program linked to them, in the VM or in the kernel. The rest of the
    //    example is the same code for both engines.
    using IBpfEngine bpf = engine == "kernel" ? new KernelEngine() : new VmEngine();
    using var loaded = bpf.Load(obj);
    var program = loaded.Program("xdp_blacklist");

    // 3. Fill the blacklist: key = IPv4 source address as the packet holds it (network byte order), value = drops so far.
    var blacklist = loaded.Map<uint, ulong>("blacklist");
    foreach (var address in ReadAddresses(blacklistPath))
        blacklist[KeyOf(address)] = 0;

    // 4. Run every packet of the capture, in order; the maps keep their contents from one packet to the next.
    var verdicts = new SortedDictionary<uint, int>();
    int packets = 0, refused = 0;
    foreach (var packet in PcapReader.Read(capturePath))
    {
        packets++;
        try
        {
            uint verdict = (uint)program.Run(packet.Data).ReturnValue;
            verdicts[verdict] = verdicts.GetValueOrDefault(verdict) + 1;
        }
        catch (BpfException e)
        {
            refused++; // e.g. a frame shorter than an Ethernet header: the engine will not run the program on it
            Console.Error.WriteLine($"packet {packets}: {e.Message}");
        }
    }

    // 5. Report: the verdicts the program returned, its own per-CPU verdict counters, and the drops per source.
    Console.WriteLine($"xdp_blacklist on {(engine == "kernel" ? "the Linux kernel" : "the SharpBpf VM")}: {packets} packets from {Path.GetFileName(capturePath)}, {blacklist.Keys.Count()} blacklisted sources");
    Console.WriteLine("verdicts:");
    foreach (var (verdict, count) in verdicts)
        Console.WriteLine($"  {XdpAction(verdict),-12} {count}");
    if (refused > 0)
        Console.WriteLine($"  {"refused",-12} {refused}");

    Console.WriteLine("verdicts map (per-CPU counters, summed):");
    var counters = loaded.Map("verdicts");
    var perCpu = new byte[counters.UserValueSize];
    for (uint action = 0; action < counters.MaxEntries; action++)
    {
        if (!counters.TryLookup(BitConverter.GetBytes(action), perCpu))
            continue;
        ulong total = 0;
        for (int offset = 0; offset < perCpu.Length; offset += 8) // one 8-byte value per possible CPU
            total += BitConverter.ToUInt64(perCpu, offset);
        if (total > 0)
            Console.WriteLine($"  {XdpAction(action),-12} {total}");
    }

    Console.WriteLine("blacklist (source: packets dropped):");
    foreach (var key in blacklist.Keys.OrderBy(k => AddressOf(k).GetAddressBytes(), ByteOrder.Instance))
        Console.WriteLine($"  {AddressOf(key),-15} {blacklist[key]}");
    return 0;
}
catch (Exception e) when (e is BpfException or IOException)
{
    Console.Error.WriteLine($"XdpBlacklist: {e.Message}");
    return 1;
}

static IEnumerable<IPAddress> ReadAddresses(string path) =>
    File.ReadLines(path)
        .Select(line => line.Split('#', 2)[0].Trim())
        .Where(line => line.Length > 0)
        .Select(line => IPAddress.TryParse(line, out var a) && a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? a : throw new IOException($"{path}: '{line}' is not an IPv4 address"));

// The map key is the address's four bytes in packet order; on this little-endian host that is this uint.
static uint KeyOf(IPAddress address) => BitConverter.ToUInt32(address.GetAddressBytes());

static IPAddress AddressOf(uint key) => new(BitConverter.GetBytes(key));

static string XdpAction(uint verdict) => verdict switch
{
    0 => "XDP_ABORTED",
    1 => "XDP_DROP",
    2 => "XDP_PASS",
    3 => "XDP_TX",
    4 => "XDP_REDIRECT",
    _ => $"verdict {verdict}",
};
