using SharpBpf.Text;
using System.CommandLine;
using SharpBpf.Linux;
using SharpBpf.Linux.Attach;
using SharpBpf.Cli.Bpftool;

namespace SharpBpf.Cli;

/// <summary><c>sharpbpf link ...</c>: bpftool's link commands (show/list, pin, detach).</summary>
internal static class LinkCommand
{
    public static Command Create()
    {
        var link = new Command("link", "Inspect and manipulate BPF links (bpftool link).").WithCommonOptions();
        link.Subcommands.Add(BpftoolCli.Keywords("show", "Show links.", "[id ID | pinned FILE]", (result, args, output) =>
        {
            var pins = result.GetValue(BpftoolCli.BpfFs) ? PinnedObjects.Scan(BpfObjectKind.Link) : null;
            var format = BpftoolCli.Format(result);
            if (args.AtEnd)
            {
                LinkShow.Render(output, LinkShow.All(pins), format, asArray: true);
                return;
            }
            using var fd = Open(args);
            args.ExpectEnd();
            LinkShow.Render(output, [LinkShow.Describe(fd, pins)], format, asArray: false);
        }, "list"));
        link.Subcommands.Add(BpftoolCli.Keywords("pin", "Pin a link at a path in a bpf filesystem.", "LINK FILE", (result, args, output) =>
        {
            using var fd = Open(args);
            var path = args.Take("FILE");
            args.ExpectEnd();
            BpfFs.RequireBpfFsFor(path);
            BpfSyscall.Pin(fd, path);
            if (BpftoolCli.Format(result) != OutputFormat.Plain)
                output.Write("null\n");
        }));
        link.Subcommands.Add(BpftoolCli.Keywords("detach", "Detach a link's program (BPF_LINK_DETACH).", "LINK", (result, args, output) =>
        {
            using var linkToDetach = BpfLink.FromFd(Open(args));
            args.ExpectEnd();
            linkToDetach.Detach();
            if (BpftoolCli.Format(result) != OutputFormat.Plain)
                output.Write("null\n");
        }));
        return link;
    }

    /// <summary>LINK := id ID | pinned FILE.</summary>
    private static BpfFd Open(BpftoolArgs args)
    {
        var kind = args.Take("'id' or 'pinned'");
        switch (kind)
        {
            case "id":
                return BpfSyscall.GetFdById(BpfObjectKind.Link, args.TakeId("link id"));
            case "pinned":
                var path = args.Take("FILE");
                var fd = BpfSyscall.OpenPinned(path);
                if (KernelObjectInfo.FdInfoField(fd, "link_type") is null)
                {
                    fd.Dispose();
                    throw new BpfException($"{path} is not a pinned link");
                }
                return fd;
            default:
                throw new ArgumentException($"expected 'id' or 'pinned', got '{kind}'");
        }
    }
}
