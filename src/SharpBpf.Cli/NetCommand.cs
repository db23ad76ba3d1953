using System.CommandLine;
using SharpBpf.Cli.Bpftool;
using SharpBpf.Linux.Netlink;

namespace SharpBpf.Cli;

/// <summary><c>sharpbpf net ...</c>: bpftool's net show/list (XDP, tc and flow dissector programs of this network namespace).</summary>
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
        return net;
    }
}
