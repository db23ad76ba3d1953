using System.CommandLine;
using SharpBpf.Cli.Bpftool;

namespace SharpBpf.Cli;

/// <summary><c>sharpbpf btf show|list [id N]</c>: BTF objects loaded in the kernel (bpftool btf show).</summary>
internal static class BtfKernelCommands
{
    /// <summary>Adds show/list (and the shared -j/-p/--trace options) to the <c>btf</c> command.</summary>
    public static Command AddTo(Command btf)
    {
        foreach (var option in new[] { BpftoolCli.Json, BpftoolCli.Pretty, BpftoolCli.Trace })
            if (!btf.Options.Any(o => o.Name == option.Name))
                btf.Options.Add(option);
        btf.Subcommands.Add(BpftoolCli.Keywords("show", "Show BTF objects loaded in the kernel and who uses them.", "[id BTF_ID]", (result, args, output) =>
        {
            uint? id = null;
            if (args.TryKeyword("id"))
                id = args.TakeId("BTF id");
            args.ExpectEnd();
            BtfShow.Render(output, BtfShow.Collect(id), BpftoolCli.Format(result), asArray: id is null);
        }, "list"));
        return btf;
    }
}
