using SharpBpf.Objects;

namespace SharpBpf.Cli.Objdump;

/// <summary>Parses llvm-objdump-style arguments: grouped short flags (<c>-dr</c>), <c>-j NAME</c>, <c>--section=NAME</c>, long names.</summary>
public static class ObjdumpArguments
{
    /// <summary>Usage text for the command.</summary>
    public const string Usage =
        "usage: sharpbpf objdump [-d] [-D] [-r] [-h] [-s] [-t] [--section=NAME] [--no-show-raw-insn] [--print-imm-hex] FILE...\n" +
        "  -d, --disassemble        disassemble executable sections\n" +
        "  -D, --disassemble-all    disassemble every section\n" +
        "  -r, --reloc              relocation records (inline with -d)\n" +
        "  -h, --section-headers    the section table\n" +
        "  -s, --full-contents      hex dump of section contents\n" +
        "  -t, --syms               the symbol table\n" +
        "  -j, --section=NAME       only this section (repeatable)\n" +
        "  --no-show-raw-insn       leave out instruction bytes\n" +
        "  --print-imm-hex          immediates in hex\n" +
        "Output is byte-for-byte what llvm-objdump 14 prints for BPF objects.";

    /// <summary>Splits <paramref name="args"/> into options and file names.</summary>
    /// <exception cref="ArgumentException">an unknown option, a missing value or no file.</exception>
    public static (ObjdumpOptions Options, List<string> Files) Parse(IReadOnlyList<string> args)
    {
        var options = new ObjdumpOptions();
        var files = new List<string>();
        bool onlyFiles = false;
        for (int i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (onlyFiles || arg.Length < 2 || arg[0] != '-')
            {
                files.Add(arg);
                continue;
            }
            if (arg == "--")
            {
                onlyFiles = true;
                continue;
            }
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var (name, value) = arg.IndexOf('=') is var eq and > 0 ? (arg[2..eq], arg[(eq + 1)..]) : (arg[2..], null);
                switch (name)
                {
                    case "disassemble": options.Disassemble = true; break;
                    case "disassemble-all": options.Disassemble = options.DisassembleAll = true; break;
                    case "reloc": options.Relocations = true; break;
                    case "section-headers" or "headers": options.SectionHeaders = true; break;
                    case "full-contents": options.SectionContents = true; break;
                    case "syms": options.SymbolTable = true; break;
                    case "no-show-raw-insn": options.NoShowRawInsn = true; break;
                    case "print-imm-hex": options.PrintImmHex = true; break;
                    case "section":
                        options.Sections.Add(value ?? (i + 1 < args.Count ? args[++i] : throw new ArgumentException("--section needs a section name")));
                        break;
                    default:
                        throw new ArgumentException($"objdump: unknown option '{arg}'");
                }
                if (value is not null && name != "section")
                    throw new ArgumentException($"objdump: option '--{name}' takes no value");
                continue;
            }
            for (int c = 1; c < arg.Length; c++)
            {
                switch (arg[c])
                {
                    case 'd': options.Disassemble = true; break;
                    case 'D': options.Disassemble = options.DisassembleAll = true; break;
                    case 'r': options.Relocations = true; break;
                    case 'h': options.SectionHeaders = true; break;
                    case 's': options.SectionContents = true; break;
                    case 't': options.SymbolTable = true; break;
                    case 'j':
                        var rest = arg[(c + 1)..];
                        if (rest.StartsWith('='))
                            rest = rest[1..];
                        options.Sections.Add(rest.Length > 0 ? rest : i + 1 < args.Count ? args[++i] : throw new ArgumentException("-j needs a section name"));
                        c = arg.Length;
                        break;
                    default:
                        throw new ArgumentException($"objdump: unknown option '-{arg[c]}' in '{arg}'");
                }
            }
        }
        if (files.Count == 0)
            throw new ArgumentException("objdump: no input file\n" + Usage);
        if (!options.AnyOutput)
            throw new ArgumentException("objdump: give at least one of -d, -r, -h, -s, -t\n" + Usage);
        return (options, files);
    }
}
