using System.CommandLine;
using SharpBpf.Objects;

namespace SharpBpf.Cli;

/// <summary><c>sharpbpf object show FILE [--json]</c>: what an object file holds.</summary>
internal static class ObjectCommand
{
    public static Command Create()
    {
        var command = new Command("object", "Inspect BPF object files.");
        var show = new Command("show", "List an object's programs, maps, global data, externs, license and BTF.");
        var file = new Argument<string>("FILE") { Description = "a BPF ELF object" };
        var json = new Option<bool>("--json") { Description = "print JSON" };
        show.Arguments.Add(file);
        show.Options.Add(json);
        show.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            var obj = ObjectSpec.Load(path);
            Console.Out.Write(parse.GetValue(json) ? ObjectSummary.ToJson(obj, path) : ObjectSummary.ToText(obj, path));
            return 0;
        });
        command.Subcommands.Add(show);
        return command;
    }
}
