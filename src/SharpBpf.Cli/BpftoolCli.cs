using SharpBpf.Text;
using System.CommandLine;
using System.Text;
using SharpBpf.Linux;
using SharpBpf.Cli.Bpftool;

namespace SharpBpf.Cli;

/// <summary>
/// What the bpftool-style commands (prog, map, feature, btf list/show) share: <c>-j/--json</c>, <c>-p/--pretty</c>,
/// <c>-f/--bpffs</c>, <c>--trace</c> (valid anywhere after the command), and the keyword arguments bpftool takes.
/// </summary>
internal static class BpftoolCli
{
    public static readonly Option<bool> Json = new("--json", "-j") { Description = "JSON output (bpftool -j)", Recursive = true };
    public static readonly Option<bool> Pretty = new("--pretty", "-p") { Description = "indented JSON output (bpftool -p)", Recursive = true };
    public static readonly Option<bool> BpfFs = new("--bpffs", "-f") { Description = "show the bpffs paths that pin each object", Recursive = true };
    public static readonly Option<bool> Trace = new("--trace") { Description = "trace every bpf() call to stderr, strace-style", Recursive = true };

    private static readonly HashSet<string> LeadingOptions = ["-j", "--json", "-p", "--pretty", "-f", "--bpffs", "--trace"];

    /// <summary>bpftool takes its options before the object too (<c>-j prog show</c>, <c>btf -j dump file F</c>):
    /// those are moved after the command, where the (recursive) options are parsed.</summary>
    public static string[] MoveLeadingOptions(string[] args)
    {
        var leading = new List<string>();
        var rest = new List<string>();
        bool seenObject = false, done = false;
        foreach (var arg in args)
        {
            if (!done && LeadingOptions.Contains(arg))
                leading.Add(arg);
            else
            {
                done = seenObject; // options may follow the object word, not the command after it
                seenObject = true;
                rest.Add(arg);
            }
        }
        return leading.Count == 0 ? args : [.. rest, .. leading];
    }

    /// <summary>Adds the shared options to a top-level command group.</summary>
    public static Command WithCommonOptions(this Command command)
    {
        command.Options.Add(Json);
        command.Options.Add(Pretty);
        command.Options.Add(BpfFs);
        command.Options.Add(Trace);
        return command;
    }

    public static OutputFormat Format(ParseResult result) =>
        result.GetValue(Pretty) ? OutputFormat.PrettyJson : result.GetValue(Json) ? OutputFormat.Json : OutputFormat.Plain;

    /// <summary>A subcommand taking bpftool's keyword arguments; <paramref name="action"/> writes to a buffered stdout.</summary>
    public static Command Keywords(string name, string description, string grammar, Action<ParseResult, BpftoolArgs, TextWriter> action, params string[] aliases) =>
        Keywords(name, description, grammar, (result, args, output) => { action(result, args, output); return 0; }, aliases);

    /// <summary>As above, the action returning the exit code (bpftool fails some commands without an error message, e.g. a lookup miss).</summary>
    public static Command Keywords(string name, string description, string grammar, Func<ParseResult, BpftoolArgs, TextWriter, int> action, params string[] aliases)
    {
        var words = new Argument<string[]>("ARGS") { Description = grammar, Arity = ArgumentArity.ZeroOrMore };
        var command = new Command(name, $"{description}\n  {name} {grammar}") { words };
        foreach (var alias in aliases)
            command.Aliases.Add(alias);
        command.SetAction(result =>
        {
            if (result.GetValue(Trace))
                BpfTrace.Writer = Console.Error;
            using var stdout = Console.OpenStandardOutput();
            using var writer = new StreamWriter(stdout, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
            try
            {
                return action(result, new BpftoolArgs(result.GetValue(words) ?? []), writer);
            }
            catch (Exception e) when (Format(result) != OutputFormat.Plain && CliRunner.IsUserError(e))
            {
                WriteJsonError(writer, e.Message, Format(result));
                throw;  // the one stderr line and the exit code stay
            }
            finally
            {
                writer.Flush();
            }
        });
        return command;
    }

    /// <summary>bpftool -j/-p reports a failure as <c>{"error":"..."}</c> on stdout, for scripts that parse it.</summary>
    public static void WriteJsonError(TextWriter output, string message, OutputFormat format)
    {
        var json = new BpftoolJsonWriter(output, format == OutputFormat.PrettyJson);
        json.StartObject();
        json.Field("error", message);
        json.EndObject();
        json.Finish();
    }

    public static byte[] ReadInput(string path) => path == "-" ? ReadStdin() : File.ReadAllBytes(path);

    private static byte[] ReadStdin()
    {
        using var stdin = Console.OpenStandardInput();
        using var buffer = new MemoryStream();
        stdin.CopyTo(buffer);
        return buffer.ToArray();
    }
}
