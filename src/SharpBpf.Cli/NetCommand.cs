using System.CommandLine;
using SharpBpf.Cli.Bpftool;
using SharpBpf.Linux;
using SharpBpf.Linux.Attach;
using SharpBpf.Linux.Netlink;
using SharpBpf.Text;

namespace SharpBpf.Cli;

/// <summary><c>sharpbpf net ...</c>: bpftool's net show/list (XDP, tc and flow dissector programs of this network namespace), attach and detach.</summary>
internal static class NetCommand
{
    public static Command Create()
    {
        var net = new Command("net", "Show networking programs: XDP, tc, flow dissector (bpftool net).").WithCommonOptions();
        net.Subcommands.Add(BpftoolCli.Keywords("show", "Show XDP, tc and flow dissector attachments.", "[dev NAME]", (result, args, output) =>
        {
            string? device = null;
            if (args.TryKeyword("dev"))
                device = args.Take("device name");
            args.ExpectEnd();
            NetListing.Collect(device).Render(output, BpftoolCli.Format(result));
        }, "list"));
        net.Subcommands.Add(BpftoolCli.Keywords("attach", "Attach an XDP or tcx program to a device; it stays attached after sharpbpf exits.",
            "ATTACH_TYPE PROG dev NAME [overwrite]\n  ATTACH_TYPE := { " + string.Join(" | ", AttachTypes) + " }", (result, args, output) =>
        {
            var type = TakeAttachType(args, "attach");
            var selector = ObjectSelector.Parse(args, allowTag: true) ?? throw new ArgumentException("net attach: expected PROG");
            args.Expect("dev");
            var device = args.Take("device name");
            var overwrite = args.TryKeyword("overwrite");
            args.ExpectEnd();
            using var program = selector.OpenOne(BpfObjectKind.Program);
            var ifindex = RtNetlink.IfIndex(device);
            if (XdpModes.TryGetValue(type, out var mode))
                RtNetlink.SetXdp(ifindex, program.Value, mode, replace: overwrite);
            else if (overwrite)
                throw new ArgumentException("net attach: 'overwrite' applies to the XDP attach types only");
            else
                BpfCalls.ProgAttach(ifindex, program.Value, TcxTypes[type], 0, $"{type} on {device}");
            if (BpftoolCli.Format(result) != OutputFormat.Plain)
                output.Write("null\n");
        }));
        net.Subcommands.Add(BpftoolCli.Keywords("detach", "Detach the XDP program (or the tcx programs attached by net attach) of a device.",
            "ATTACH_TYPE dev NAME", (result, args, output) =>
        {
            var type = TakeAttachType(args, "detach");
            args.Expect("dev");
            var device = args.Take("device name");
            args.ExpectEnd();
            var ifindex = RtNetlink.IfIndex(device);
            if (XdpModes.TryGetValue(type, out var mode))
                RtNetlink.SetXdp(ifindex, -1, mode);
            else
                DetachTcx(ifindex, TcxTypes[type], $"{type} on {device}");
            if (BpftoolCli.Format(result) != OutputFormat.Plain)
                output.Write("null\n");
        }));
        return net;
    }

    /// <summary>bpftool's XDP attach types; tcx_ingress and tcx_egress (bpftool 7.4+) follow.</summary>
    private static readonly Dictionary<string, XdpMode> XdpModes = new(StringComparer.Ordinal)
    {
        ["xdp"] = XdpMode.Default,
        ["xdpgeneric"] = XdpMode.Generic,
        ["xdpdrv"] = XdpMode.Driver,
        ["xdpoffload"] = XdpMode.Offload,
    };

    private static readonly Dictionary<string, BpfAttachType> TcxTypes = new(StringComparer.Ordinal)
    {
        ["tcx_ingress"] = BpfAttachType.TcxIngress,
        ["tcx_egress"] = BpfAttachType.TcxEgress,
    };

    private static IEnumerable<string> AttachTypes => XdpModes.Keys.Concat(TcxTypes.Keys);

    private static string TakeAttachType(BpftoolArgs args, string verb)
    {
        var type = args.Take("ATTACH_TYPE");
        return XdpModes.ContainsKey(type) || TcxTypes.ContainsKey(type) ? type
            : throw new ArgumentException($"net {verb}: invalid net attach/detach type '{type}' (expected {string.Join(", ", AttachTypes)})");
    }

    /// <summary>Detaches every program attached to the tcx hook without a link (links belong to whoever holds them).</summary>
    private static void DetachTcx(int ifindex, BpfAttachType type, string what)
    {
        var (programs, links) = BpfCalls.QueryMultiProgram(ifindex, type, what);
        var detached = 0;
        for (var i = 0; i < programs.Length; i++)
        {
            if (links[i] != 0)
                continue;
            using var program = BpfSyscall.TryGetFdById(BpfObjectKind.Program, programs[i]);
            if (program is null)
                continue;
            BpfCalls.ProgDetach(ifindex, program.Value, type, what);
            detached++;
        }
        if (detached == 0)
            throw new BpfException($"{what}: no program attached by net attach (programs attached through links stay)");
    }
}
