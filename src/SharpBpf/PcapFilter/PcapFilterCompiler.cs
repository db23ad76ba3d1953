using SharpBpf.Cbpf;
using SharpBpf.Packets;

namespace SharpBpf.PcapFilter;

/// <summary>
/// Compiles pcap-filter(7) expressions to classic BPF, instruction for instruction as libpcap 1.10's
/// <c>pcap_compile</c> (what <c>tcpdump -d</c> prints), for Ethernet, raw IP and Linux cooked captures.
/// </summary>
public static class PcapFilterCompiler
{
    /// <summary>tcpdump's snapshot length, what a matching packet's <c>ret</c> returns.</summary>
    public const uint DefaultSnapLength = 262144;

    /// <param name="linkType">LINKTYPE_ETHERNET (1), LINKTYPE_RAW (101) or LINKTYPE_LINUX_SLL (113).</param>
    /// <param name="optimize">False is tcpdump's <c>-O</c>: the code generator's output as it is.</param>
    /// <exception cref="PcapFilterException">The expression is not valid; the message is libpcap's.</exception>
    public static CbpfInstruction[] Compile(string expression, int linkType = LinkTypes.Ethernet, bool optimize = true, uint snapLength = DefaultSnapLength)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var gen = new CodeGen(linkType, snapLength);
        var tree = Parser.Parse(expression);
        Block root;
        if (tree is null)
        {
            root = new Block(Cbpf.Cbpf.Ret | Cbpf.Cbpf.K, snapLength);
        }
        else
        {
            var (block, _) = new Compiler(gen).Term(tree, Qual.Error);
            root = gen.Finish(block);
        }
        if (optimize)
        {
            root = Optimizer.Optimize(root);
            if (root.IsReturn && root.K == 0)
                throw new PcapFilterException("expression rejects all packets");
        }
        return Linearizer.Linearize(root);
    }

    /// <summary>The LINKTYPE number for a <c>-y</c> name (EN10MB, RAW, LINUX_SLL) or a number.</summary>
    public static int LinkTypeFromName(string name) => name.ToUpperInvariant() switch
    {
        "EN10MB" or "ETHERNET" => LinkTypes.Ethernet,
        "RAW" => LinkTypes.Raw,
        "LINUX_SLL" => LinkTypes.LinuxSll,
        _ when int.TryParse(name, out var number) => number,
        _ => throw new PcapFilterException($"unknown data link type {name}: use EN10MB, RAW or LINUX_SLL"),
    };
}
