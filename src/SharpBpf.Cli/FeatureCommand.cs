using System.CommandLine;
using SharpBpf.Linux;
using SharpBpf.Cli.Bpftool;

namespace SharpBpf.Cli;

/// <summary><c>sharpbpf feature probe [kernel]</c>: what the running kernel supports (bpftool feature probe); <c>feature list_builtins</c>.</summary>
internal static class FeatureCommand
{
    public static Command Create()
    {
        var feature = new Command("feature", "Probe the kernel's eBPF features (bpftool feature).").WithCommonOptions();
        feature.Subcommands.Add(BpftoolCli.Keywords("probe", "Probe program types, map types, helpers per program type and misc features.", "[kernel] [full]", (result, args, output) =>
        {
            args.TryKeyword("kernel");
            bool full = false;
            while (!args.AtEnd)
            {
                var word = args.Take("option");
                if (word == "full") full = true;
                else throw new ArgumentException($"feature probe: unsupported argument '{word}' (kernel [full])");
            }
            FeatureProbeOutput.Render(output, FeatureProbe.ProbeKernel(full: full), BpftoolCli.Format(result));
        }));
        feature.Subcommands.Add(BpftoolCli.Keywords("list_builtins", "List the names of program, map, attach and link types or helpers.",
            "{ prog_types | map_types | attach_types | link_types | helpers }", (result, args, output) =>
        {
            var names = FeatureBuiltins.Names(args.Take("GROUP (" + string.Join(", ", FeatureBuiltins.Groups) + ")"));
            args.ExpectEnd();
            FeatureBuiltins.Render(output, names, BpftoolCli.Format(result));
        }));
        return feature;
    }
}
