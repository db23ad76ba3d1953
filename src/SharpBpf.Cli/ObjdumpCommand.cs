using System.CommandLine;
using SharpBpf.Elf;
using SharpBpf.Cli.Objdump;

namespace SharpBpf.Cli;

/// <summary>
/// <c>sharpbpf objdump</c>: llvm-objdump 14's -d/-r/-h/-s/-t for BPF objects. Program.cs dispatches here before
/// building the System.CommandLine tree, so the command starts fast; the Command below lists it in --help.
/// </summary>
internal static class ObjdumpCommand
{
    public const string Name = "objdump";

    public static Command Create()
    {
        var command = new Command(Name, "Disassemble and dump a BPF object, byte for byte as llvm-objdump 14 (-d -r -h -s -t, --section, --no-show-raw-insn, --print-imm-hex).");
        var tokens = new Argument<string[]>("args") { Arity = ArgumentArity.ZeroOrMore, Description = "llvm-objdump options and files" };
        command.Arguments.Add(tokens);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse => Run([.. parse.GetValue(tokens) ?? [], .. parse.UnmatchedTokens]));
        return command;
    }

    /// <summary>Runs objdump over raw arguments; errors become one line on stderr and exit code 1.</summary>
    public static int Run(string[] args)
    {
        if (args is ["--help"] or ["-help"])
        {
            Console.WriteLine(ObjdumpArguments.Usage);
            return 0;
        }
        var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16) { AutoFlush = false };
        try
        {
            var (options, files) = ObjdumpArguments.Parse(args);
            foreach (var file in files)
                ObjdumpRenderer.Render(ElfFile.Parse(File.ReadAllBytes(file), file), file, options, stdout);
            stdout.Flush();
            return 0;
        }
        catch (Exception e)
        {
            stdout.Flush();
            return CliRunner.Fail(e);
        }
    }
}
