using SharpBpf.Tests.Support;
using System.Globalization;
using SharpBpf.Isa;
using SharpBpf.Isa.Assembly;

namespace SharpBpf.Tests.Conformance;

/// <summary>
/// One <c>.data</c> file of the BPF conformance suite (see shared/conformance/README.md §3): sections
/// <c>-- asm</c>, <c>-- raw</c>, <c>-- mem</c>, <c>-- result</c>, <c>-- error</c>, plus the ignored <c>-- c</c> and
/// <c>-- no register offset</c>. <c>#</c> starts a comment anywhere.
/// </summary>
public sealed class ConformanceTestFile
{
    public required string Path { get; init; }
    public string Name => System.IO.Path.GetFileNameWithoutExtension(Path);
    /// <summary>The assembly text of <c>-- asm</c> (comments removed), or empty.</summary>
    public required string Asm { get; init; }
    /// <summary>The slots of <c>-- raw</c>, which replace the assembly when present.</summary>
    public Instruction[]? Raw { get; init; }
    /// <summary>The input memory bytes of <c>-- mem</c>; empty when there is none.</summary>
    public required byte[] Memory { get; init; }
    /// <summary>The expected full 64-bit r0, when the file has <c>-- result</c>.</summary>
    public ulong? Result { get; init; }
    /// <summary>The expected error text of <c>-- error</c>, when present.</summary>
    public string? Error { get; init; }
    /// <summary>True when the file carries the (meaningless for us) <c>-- no register offset</c> marker.</summary>
    public bool NoRegisterOffset { get; init; }
    /// <summary>The C source of <c>-- c</c>, documentation only.</summary>
    public string? C { get; init; }

    /// <summary>The program to run: the raw slots when given, else the assembled <see cref="Asm"/>.</summary>
    public Instruction[] Program() => Raw ?? Assembler.Assemble(Asm);

    public static ConformanceTestFile Parse(string path) => Parse(path, File.ReadAllText(path));

    public static ConformanceTestFile Parse(string path, string text)
    {
        var sections = new Dictionary<string, List<string>>();
        List<string>? current = null;
        foreach (var rawLine in text.Split('\n'))
        {
            var hash = rawLine.IndexOf('#');
            var line = (hash >= 0 ? rawLine[..hash] : rawLine).TrimEnd('\r');
            if (line.Contains("--", StringComparison.Ordinal))
            {
                // Matched by substring, in the runner's order.
                var name = new[] { "asm", "result", "mem", "raw", "no register offset", " c", "error" }
                    .FirstOrDefault(d => line.Contains(d, StringComparison.Ordinal))
                    ?? throw new BpfFormatException($"unknown directive '{line.Trim()}'", file: path);
                current = [];
                sections[name.Trim()] = current;
                continue;
            }
            current?.Add(line);
        }

        List<string> Section(string name) => sections.TryGetValue(name, out var l) ? l : [];
        string? LastNonEmpty(string name) => Section(name).Select(l => l.Trim()).LastOrDefault(l => l.Length > 0);

        var result = LastNonEmpty("result");
        var memory = Section("mem").SelectMany(l => l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Select(b => byte.Parse(b, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
        Instruction[]? raw = null;
        if (sections.ContainsKey("raw"))
            raw = Section("raw").Select(l => l.Trim()).Where(l => l.Length > 0).Select(Slot).ToArray();

        return new ConformanceTestFile
        {
            Path = path,
            Asm = string.Join('\n', Section("asm")),
            Raw = raw,
            Memory = memory,
            Result = result is null ? null : ParseResult(result),
            Error = sections.ContainsKey("error") ? LastNonEmpty("error") ?? "" : null,
            NoRegisterOffset = sections.ContainsKey("no register offset"),
            C = sections.ContainsKey("c") ? string.Join('\n', Section("c")) : null,
        };
    }

    /// <summary>Every .data file under a directory (the suite lives in shared/conformance/tests).</summary>
    public static IEnumerable<ConformanceTestFile> LoadAll(string directory) =>
        Directory.EnumerateFiles(directory, "*.data").Order(StringComparer.Ordinal).Select(p => Parse(p));

    /// <summary>The suite's directory: SHARPBPF_CONFORMANCE_DIR or shared/conformance/tests.</summary>
    public static string DefaultDirectory =>
        Environment.GetEnvironmentVariable("SHARPBPF_CONFORMANCE_DIR") ?? SharedData.PathOf("conformance/tests");

    /// <summary>The suite's directory, or a skip (a failure under SHARPBPF_REQUIRE_SHARED=1) where it is missing.</summary>
    public static string RequireDirectory() =>
        Environment.GetEnvironmentVariable("SHARPBPF_CONFORMANCE_DIR") ?? SharedData.Require("conformance/tests");

    private static ulong ParseResult(string text) =>
        text.Contains("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.Parse(text.Trim()[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : text.StartsWith('-')
                ? unchecked((ulong)long.Parse(text, CultureInfo.InvariantCulture))
                : ulong.Parse(text, CultureInfo.InvariantCulture);

    /// <summary>A <c>-- raw</c> word: the 64-bit little-endian value of one slot (opcode in the low byte).</summary>
    private static Instruction Slot(string word)
    {
        var value = ulong.Parse(word.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? word[2..] : word,
            NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        Span<byte> bytes = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return Instruction.Read(bytes);
    }
}
