using System.CommandLine;
using SharpBpf.Linux.Attach;
using SharpBpf.Linux.Usdt;

namespace SharpBpf.Cli;

/// <summary><c>sharpbpf usdt list FILE [--json]</c>: the USDT probes (.note.stapsdt) of an executable or library.</summary>
internal static class UsdtCommand
{
    public static Command Create()
    {
        var command = new Command("usdt", "User statically defined tracepoints (SystemTap SDT probes).");
        var list = new Command("list", "List the USDT probes of an executable or shared library, with their arguments.");
        var file = new Argument<string>("FILE") { Description = "a path, a library name (libc.so.6) or a command on PATH" };
        var json = new Option<bool>("--json") { Description = "print JSON, with each argument parsed" };
        list.Arguments.Add(file);
        list.Options.Add(json);
        list.SetAction(parse =>
        {
            var probes = UsdtNotes.Read(LibraryResolver.Resolve(parse.GetValue(file)!));
            Console.Out.Write(parse.GetValue(json) ? UsdtListing.ToJson(probes) : UsdtListing.ToText(probes));
            return 0;
        });
        command.Subcommands.Add(list);
        return command;
    }
}
