using SharpBpf.Cli.Bpftool;
using System.CommandLine;
using System.Text;
using SharpBpf.Btf;

namespace SharpBpf.Cli;

/// <summary><c>sharpbpf btf dump file FILE [format raw|c]</c>, bpftool-compatible output (raw text, -j/-p JSON, or C).</summary>
internal static class BtfCommand
{
    public static Command Create()
    {
        var btf = new Command("btf", "Inspect BTF (BPF Type Format) type information.");
        btf.Subcommands.Add(CreateDump());
        return btf;
    }

    private static Command CreateDump()
    {
        var words = new Argument<string[]>("SOURCE") { Description = "file FILE [format raw|c]", Arity = new ArgumentArity(2, 4) };
        var json = new Option<bool>("--json", "-j") { Description = "JSON output (bpftool -j)" };
        var pretty = new Option<bool>("--pretty", "-p") { Description = "indented JSON output (bpftool -p)" };
        var baseBtf = new Option<string?>("--base-btf", "-B") { Description = "base BTF for split BTF (default for /sys/kernel/btf/<module>: vmlinux)" };
        var dump = new Command("dump", "Print every type of a BTF file (raw BTF such as /sys/kernel/btf/vmlinux, or an ELF object's .BTF).")
        {
            words, json, pretty, baseBtf,
        };
        dump.SetAction(result =>
        {
            var (asJson, asPretty) = (result.GetValue(json), result.GetValue(pretty));
            try
            {
                return RunDump(result.GetValue(words) ?? [], asJson, asPretty, result.GetValue(baseBtf));
            }
            catch (Exception e) when ((asJson || asPretty) && CliRunner.IsUserError(e))
            {
                BpftoolCli.WriteJsonError(Console.Out, e.Message, asPretty ? OutputFormat.PrettyJson : OutputFormat.Json);
                throw;
            }
        });
        return dump;
    }

    /// <summary>
    /// <c>btf dump</c> proper: SOURCE words (file FILE [format raw|c]), JSON flags and the base BTF. Program.cs calls it
    /// directly for the plain <c>btf dump file F [format c|raw]</c> form, skipping the System.CommandLine tree.
    /// </summary>
    public static int RunDump(string[] args, bool json, bool pretty, string? baseBtf)
    {
        if (args.Length is < 2 or > 4)
            throw new ArgumentException("btf dump: expected 'file FILE [format raw|c]'");
        if (args[0] != "file")
            throw new ArgumentException($"btf dump: unknown source '{args[0]}' (only 'file FILE' is supported; 'id N' needs the kernel layer)");
        var path = args[1];
        var format = "raw";
        if (args.Length > 2)
        {
            if (args[2] != "format" || args.Length != 4)
                throw new ArgumentException("btf dump: expected 'format raw' or 'format c' after the file");
            format = args[3];
            if (format is not ("raw" or "c"))
                throw new ArgumentException($"btf dump: unknown format '{format}' (raw or c)");
        }
        // A dump allocates tens of MB that all stay alive to the end: collecting them only costs time.
        try { GC.TryStartNoGCRegion(128L << 20); } catch (ArgumentOutOfRangeException) { } catch (InvalidOperationException) { }
        var spec = BtfFile.Load(path, LoadBase(baseBtf, path));
        using var stdout = Console.OpenStandardOutput();
        using var writer = new StreamWriter(stdout, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
        var asJson = json || pretty;
        if (format == "c")
        {
            if (asJson)
                throw new ArgumentException("btf dump: JSON output is only available for format raw (as in bpftool)");
            BtfCPrinter.PrintHeader(spec, writer);
        }
        else if (asJson)
        {
            BtfRawPrinter.PrintJson(spec, writer, pretty);
        }
        else
        {
            BtfRawPrinter.Print(spec, writer);
        }
        return 0;
    }

    private static BtfSpec? LoadBase(string? baseBtf, string path)
    {
        if (baseBtf is not null)
            return BtfFile.Load(baseBtf);
        var full = Path.GetFullPath(path);
        const string kernelDir = "/sys/kernel/btf/";
        if (full.StartsWith(kernelDir, StringComparison.Ordinal) && full != kernelDir + "vmlinux")
            return BtfSpec.LoadFile(kernelDir + "vmlinux");
        return null;
    }
}
