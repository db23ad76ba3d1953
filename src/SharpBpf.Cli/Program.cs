using System.CommandLine;
using SharpBpf.Cli;

var root = new RootCommand("sharpbpf: eBPF for .NET. Inspect BPF ELF objects, run them in the embedded VM or load them into the kernel.");
foreach (var command in CommandCatalog.All())
    root.Subcommands.Add(command);
return CliRunner.Run(root, args);
