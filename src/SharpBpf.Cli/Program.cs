using System.CommandLine;
using SharpBpf.Cli;

args = BpftoolCli.MoveLeadingOptions(args);
if (JitCompanion.TryHandOver(args) is { } companionExit)
    return companionExit;

// These skip the System.CommandLine tree: their start-up time is part of what they are measured by (docs/startup.md).
if (args.Length > 0 && args[0] == ObjdumpCommand.Name)
    return ObjdumpCommand.Run(args[1..]);
if (args is ["version"])
    return VersionCommand.Run();
if (args.Length > 0 && args[0] == FilterCommand.Name)
    return FilterCommand.Run(args[1..]);

// So does the plain `btf dump file F [format c|raw]` (no options): building the command tree is a tenth of its time.
if (args is ["btf", "dump", "file", var btfFile, .. var rest] && !btfFile.StartsWith('-')
    && rest is [] or ["format", "c" or "raw"])
    return CliRunner.Run(() => BtfCommand.RunDump(args[2..], json: false, pretty: false, baseBtf: null));

var root = new RootCommand("sharpbpf: eBPF for .NET. Inspect BPF ELF objects, run them in the embedded VM or load them into the kernel.");
foreach (var command in CommandCatalog.All())
    root.Subcommands.Add(command);
return CliRunner.Run(root, args);
