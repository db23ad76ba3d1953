using System.CommandLine;
using SharpBpf.Vm.Conformance;

namespace SharpBpf.Cli;

/// <summary><c>sharpbpf conformance-plugin [MEMORY-HEX] [--interpret|--jit]</c>: a plugin for the bpf_conformance runner.</summary>
internal static class ConformancePluginCommand
{
    public static Command Create()
    {
        var command = new Command("conformance-plugin",
            "Run one BPF conformance test as a bpf_conformance plugin: program hex on stdin, r0 in hex on stdout. " +
            "The runner puts the memory argument first, so point --plugin_path at a script running " +
            "'sharpbpf conformance-plugin \"$@\"'.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        var tokens = new Argument<string[]>("memory-and-options")
        {
            Description = "The test memory as hex bytes (optional, first), then --interpret (default), --jit (falls back to the interpreter), --program HEX.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        command.Arguments.Add(tokens);
        command.SetAction(parseResult =>
        {
            var args = (parseResult.GetValue(tokens) ?? []).Concat(parseResult.UnmatchedTokens).ToList();
            return ConformancePlugin.Run(args, Console.In, Console.Out, Console.Error);
        });
        return command;
    }
}
