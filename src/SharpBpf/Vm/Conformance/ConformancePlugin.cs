using System.Globalization;
using SharpBpf.Isa;

namespace SharpBpf.Vm.Conformance;

/// <summary>
/// The bpf_conformance runner's plugin protocol: argv = [MEMORY-HEX] options..., the program as hex bytes on one stdin
/// line; on success r0 in lowercase hex on stdout and exit 0; a program the VM refuses prints
/// <c>Failed to load code: reason</c> on stdout and exits 1; a fault at run time goes to stderr with exit 1.
/// </summary>
public static class ConformancePlugin
{
    /// <summary>Runs one test as the runner does; returns the process exit code.</summary>
    public static int Run(IReadOnlyList<string> args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var memory = Array.Empty<byte>();
        bool? jit = null;
        bool elf = false;
        string? programHex = null;
        int start = 0;
        if (args.Count > 0 && !args[0].StartsWith("--", StringComparison.Ordinal))
        {
            if (!TryParseHex(args[0], out memory))
            {
                stderr.WriteLine($"Invalid memory argument: {args[0]}");
                return 1;
            }
            start = 1;
        }
        for (int i = start; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "":
                case "--debug":
                    break;
                case "--interpret":
                    jit = false;
                    break;
                case "--jit":
                    jit = true;
                    break;
                case "--program" when i + 1 < args.Count:
                    programHex = args[++i];
                    break;
                case "--elf":
                    elf = true;
                    break;
                default:
                    stderr.WriteLine($"Invalid arguments: {args[i]}");
                    return 1;
            }
        }

        programHex ??= stdin.ReadLine() ?? "";
        if (!TryParseHex(programHex, out var bytes) || bytes.Length == 0 || bytes.Length % Instruction.Size != 0)
        {
            stdout.WriteLine($"Failed to load code: the program must be a non-empty multiple of 8 hex-encoded bytes (got {bytes.Length} bytes)");
            return 1;
        }

        // the suite runs programs the kernel would refuse (it tests the instruction set, not safety): no static verification
        using var engine = new VmEngine(jit is { } useJit ? new VmOptions { UseJit = useJit, VerifyBeforeLoad = false }
            : new VmOptions { VerifyBeforeLoad = false });
        VmProgram program;
        try
        {
            var instructions = elf ? FromElf(bytes) : Instruction.ReadAll(bytes);
            program = engine.LoadProgram(instructions, name: "conformance");
        }
        catch (Exception e) when (e is VmLoadException or BpfFormatException)
        {
            stdout.WriteLine($"Failed to load code: {e.Message}");
            return 1;
        }
        try
        {
            ulong r0 = program.RunOnMemory(memory);
            stdout.WriteLine(r0.ToString("x", CultureInfo.InvariantCulture));
            return 0;
        }
        catch (VmFault e)
        {
            stderr.WriteLine($"Failed to execute program: {e.Message}");
            return 1;
        }
    }

    /// <summary>The runner's <c>--elf</c> input: an ELF relocatable whose <c>.text</c> (or <c>xdp</c>) section holds the program.</summary>
    private static Instruction[] FromElf(byte[] bytes)
    {
        var file = Elf.ElfFile.Parse(bytes);
        var section = file.FindSection(".text") is { Size: > 0 } text ? text
            : file.FindSection("xdp") ?? throw new BpfFormatException("the ELF file has no .text or xdp section");
        var data = file.GetData(section).Span;
        if (data.Length == 0 || data.Length % Instruction.Size != 0)
            throw new BpfFormatException($"section {section.Name} is {data.Length} bytes, not a whole number of instructions");
        return Instruction.ReadAll(data, file.BigEndian);
    }

    /// <summary>Hex bytes separated by whitespace ("b7  00  00 ..."), as the runner writes them; tokens that are not hex are skipped, as the reference plugins do.</summary>
    public static bool TryParseHex(string text, out byte[] bytes)
    {
        var list = new List<byte>();
        foreach (var token in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (byte.TryParse(token, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b))
                list.Add(b);
            else if (token.Length % 2 == 0 && token.Length > 2 && token.All(Uri.IsHexDigit))
                list.AddRange(Convert.FromHexString(token)); // an unspaced hex string
        }
        bytes = [.. list];
        return true;
    }
}
