using System.CommandLine;
using SharpBpf.Cli;

// objdump skips the System.CommandLine tree: its startup time is part of what it is measured by.
if (args.Length > 0 && args[0] == ObjdumpCommand.Name)
    return ObjdumpCommand.Run(args[1..]);

var root = new RootCommand("sharpbpf: eBPF for .NET. Inspect BPF ELF objects, run them in the embedded VM or load them into the kernel.");
foreach (var command in CommandCatalog.All())
    root.Subcommands.Add(command);
return CliRunner.Run(root, args);
