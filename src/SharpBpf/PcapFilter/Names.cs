using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SharpBpf.PcapFilter;

/// <summary>
/// Name lookups as libpcap does them: services from /etc/services, IP protocols from /etc/protocols, hosts from
/// /etc/hosts (no DNS: a filter compiles the same offline), Ethernet protocol names from libpcap's own table.
/// </summary>
internal static class Names
{
    private static readonly Lazy<Dictionary<string, (int Tcp, int Udp)>> Services = new(LoadServices);
    private static readonly Lazy<Dictionary<string, int>> Protocols = new(LoadProtocols);

    private static readonly Dictionary<string, uint> EtherProtocols = new(StringComparer.Ordinal)
    {
        ["aarp"] = CodeGen.EtherTypeAarp, ["arp"] = CodeGen.EtherTypeArp, ["atalk"] = CodeGen.EtherTypeAtalk,
        ["decnet"] = CodeGen.EtherTypeDn, ["ip"] = CodeGen.EtherTypeIp, ["ip6"] = CodeGen.EtherTypeIpv6, ["lat"] = CodeGen.EtherTypeLat,
        ["loopback"] = 0x9000, ["mopdl"] = CodeGen.EtherTypeMopDl, ["moprc"] = CodeGen.EtherTypeMopRc,
        ["rarp"] = CodeGen.EtherTypeRevArp, ["sca"] = CodeGen.EtherTypeSca,
        // libpcap's llc_db, consulted after the Ethernet types
        ["iso"] = 0xfe, ["stp"] = 0x42, ["ipx"] = 0xe0, ["netbeui"] = 0xf0,
    };

    /// <summary>pcap_nametoport: the port and the protocol it belongs to (<see cref="CodeGen.ProtoUndef"/> for both).</summary>
    public static bool TryPort(string name, out int port, out int proto)
    {
        port = 0;
        proto = CodeGen.ProtoUndef;
        if (!Services.Value.TryGetValue(name, out var entry))
            return false;
        if (entry.Tcp >= 0)
        {
            port = entry.Tcp;
            proto = entry.Udp == entry.Tcp ? CodeGen.ProtoUndef : (int)CodeGen.IpProtoTcp;
            return true;
        }
        port = entry.Udp;
        proto = (int)CodeGen.IpProtoUdp;
        return true;
    }

    /// <summary>pcap_nametoportrange: "N-M" or "name-name".</summary>
    public static bool TryPortRange(string name, out int port1, out int port2, out int proto)
    {
        port1 = port2 = 0;
        proto = CodeGen.ProtoUndef;
        var dash = name.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0 && int.TryParse(name[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out port1)
            && LeadingInt(name[(dash + 1)..]) is { } second)
        {
            port2 = second;
            return true;
        }
        if (dash < 0 || !TryPort(name[..dash], out port1, out proto))
            return false;
        var first = proto;
        if (!TryPort(name[(dash + 1)..], out port2, out proto))
            return false;
        if (proto != first)
            proto = CodeGen.ProtoUndef;
        return true;
    }

    private static int? LeadingInt(string text)
    {
        var digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits]))
            digits++;
        return digits > 0 && int.TryParse(text[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
    }

    public static int? IpProtocol(string name) => Protocols.Value.TryGetValue(name, out var number) ? number : null;

    public static uint? EtherProtocol(string name) => EtherProtocols.TryGetValue(name, out var number) ? number : null;

    /// <summary>Addresses for a host name: numeric forms, then /etc/hosts.</summary>
    public static IReadOnlyList<IPAddress> Host(string name)
    {
        if (IPAddress.TryParse(name, out var literal) && (literal.AddressFamily == AddressFamily.InterNetworkV6 || name.Count(c => c == '.') == 3))
            return [literal];
        var found = new List<IPAddress>();
        foreach (var line in ReadLines("/etc/hosts"))
        {
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && fields.Skip(1).Contains(name, StringComparer.OrdinalIgnoreCase)
                && IPAddress.TryParse(fields[0], out var address) && !found.Contains(address))
                found.Add(address);
        }
        return found;
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        if (!File.Exists(path))
            yield break;
        foreach (var raw in File.ReadLines(path))
        {
            var hash = raw.IndexOf('#', StringComparison.Ordinal);
            var line = hash >= 0 ? raw[..hash] : raw;
            if (!string.IsNullOrWhiteSpace(line))
                yield return line;
        }
    }

    private static Dictionary<string, (int Tcp, int Udp)> LoadServices()
    {
        var services = new Dictionary<string, (int Tcp, int Udp)>(StringComparer.Ordinal);
        foreach (var line in ReadLines("/etc/services"))
        {
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || fields[1].Split('/') is not [var number, var protocol]
                || !int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
                continue;
            foreach (var name in fields.Take(1).Concat(fields.Skip(2)))
            {
                var entry = services.GetValueOrDefault(name, (Tcp: -1, Udp: -1));
                if (protocol == "tcp" && entry.Tcp < 0)
                    entry.Tcp = port;
                else if (protocol == "udp" && entry.Udp < 0)
                    entry.Udp = port;
                services[name] = entry;
            }
        }
        return services;
    }

    private static Dictionary<string, int> LoadProtocols()
    {
        var protocols = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in ReadLines("/etc/protocols"))
        {
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
                continue;
            foreach (var name in fields.Take(1).Concat(fields.Skip(2)))
                protocols.TryAdd(name, number);
        }
        return protocols;
    }
}
