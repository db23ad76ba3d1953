using System.Globalization;
using System.Text.RegularExpressions;

namespace SharpBpf.Linux.Usdt;

/// <summary>Where a USDT argument lives, as libbpf's usdt.bpf.h numbers it (enum __bpf_usdt_arg_type).</summary>
public enum UsdtArgumentKind
{
    Constant = 0,
    Register = 1,
    Memory = 2,
}

/// <summary>
/// One argument of a USDT probe, parsed from its x86-64 spec ("-4@%edi", "8@-8(%rbp)", "4@$5", "8@(%rsp)").
/// <see cref="Size"/> is negative for signed values, as in the note.
/// </summary>
/// <param name="Value">the constant, or the offset added to the register for <see cref="UsdtArgumentKind.Memory"/>.</param>
/// <param name="PtRegsOffset">offsetof(struct pt_regs, register) on x86-64, or -1 for a constant.</param>
public sealed partial record UsdtArgument(string Text, int Size, UsdtArgumentKind Kind, string? Register, long Value, int PtRegsOffset)
{
    public bool Signed => Size < 0;
    public int Bytes => Math.Abs(Size);

    /// <summary>Parses a whole argument string (space separated); throws <see cref="BpfFormatException"/> for shapes libbpf refuses too.</summary>
    public static IReadOnlyList<UsdtArgument> ParseAll(string args, string probe)
    {
        var result = new List<UsdtArgument>();
        foreach (var one in args.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            result.Add(Parse(one, probe));
        if (result.Count > MaxArguments)
            throw new BpfFormatException($"USDT probe {probe} has {result.Count} arguments; libbpf's usdt.bpf.h takes at most {MaxArguments}");
        return result;
    }

    /// <summary>BPF_USDT_MAX_ARG_CNT in usdt.bpf.h.</summary>
    public const int MaxArguments = 12;

    public static UsdtArgument Parse(string text, string probe)
    {
        var m = Shape().Match(text);
        if (!m.Success)
            throw new BpfFormatException($"USDT probe {probe}: cannot read argument '{text}' (expected SIZE@%reg, SIZE@OFF(%reg), SIZE@$CONST)");
        var size = int.Parse(m.Groups["size"].Value, CultureInfo.InvariantCulture);
        if (Math.Abs(size) is not (1 or 2 or 4 or 8))
            throw new BpfFormatException($"USDT probe {probe}: argument '{text}' has size {size}; only 1, 2, 4 and 8 bytes are supported");
        if (m.Groups["const"].Success)
            return new UsdtArgument(text, size, UsdtArgumentKind.Constant, null, ParseLong(m.Groups["const"].Value, text, probe), -1);
        var register = m.Groups["reg"].Value;
        var offset = PtRegsOffsetOf(register)
            ?? throw new BpfFormatException($"USDT probe {probe}: argument '{text}' names register %{register}, which is not an x86-64 pt_regs register");
        if (!m.Groups["deref"].Success)
            return new UsdtArgument(text, size, UsdtArgumentKind.Register, register, 0, offset);
        var disp = m.Groups["off"].Value;
        return new UsdtArgument(text, size, UsdtArgumentKind.Memory, register, disp.Length == 0 ? 0 : ParseLong(disp, text, probe), offset);
    }

    private static long ParseLong(string s, string text, string probe)
    {
        var negative = s.StartsWith('-');
        var digits = negative || s.StartsWith('+') ? s[1..] : s;
        var ok = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(digits.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v)
            : ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out v);
        if (!ok)
            throw new BpfFormatException($"USDT probe {probe}: '{s}' in argument '{text}' is not a number (symbolic and %rip-relative operands are not supported)");
        return negative ? -(long)v : (long)v;
    }

    // SIZE@$CONST | SIZE@%REG | SIZE@[OFF](%REG)
    [GeneratedRegex(@"^(?<size>[-+]?\d+)@(?:\$(?<const>[-+]?(?:0x)?[0-9a-fA-F]+)|%(?<reg>[a-z0-9]+)|(?<deref>(?<off>[-+]?(?:0x)?[0-9a-fA-F]*)\(%(?<reg>[a-z0-9]+)\)))$")]
    private static partial Regex Shape();

    /// <summary>offsetof(struct pt_regs, reg) on x86-64 for every name of a general register (rax, eax, ax, al...).</summary>
    public static int? PtRegsOffsetOf(string register) => Registers.TryGetValue(register, out var o) ? o : null;

    private static readonly Dictionary<string, int> Registers = BuildRegisters();

    private static Dictionary<string, int> BuildRegisters()
    {
        (string[] Names, int Offset)[] table =
        [
            (["rip", "eip"], 128),
            (["rax", "eax", "ax", "al"], 80), (["rbx", "ebx", "bx", "bl"], 40),
            (["rcx", "ecx", "cx", "cl"], 88), (["rdx", "edx", "dx", "dl"], 96),
            (["rsi", "esi", "si", "sil"], 104), (["rdi", "edi", "di", "dil"], 112),
            (["rbp", "ebp", "bp", "bpl"], 32), (["rsp", "esp", "sp", "spl"], 152),
            (["r8", "r8d", "r8w", "r8b"], 72), (["r9", "r9d", "r9w", "r9b"], 64),
            (["r10", "r10d", "r10w", "r10b"], 56), (["r11", "r11d", "r11w", "r11b"], 48),
            (["r12", "r12d", "r12w", "r12b"], 24), (["r13", "r13d", "r13w", "r13b"], 16),
            (["r14", "r14d", "r14w", "r14b"], 8), (["r15", "r15d", "r15w", "r15b"], 0),
        ];
        return table.SelectMany(r => r.Names.Select(n => (n, r.Offset))).ToDictionary(x => x.n, x => x.Offset);
    }
}
