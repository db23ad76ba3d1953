using System.Globalization;
using System.Text;

namespace SharpBpf.Cbpf;

/// <summary>Classic BPF as text, byte for byte as libpcap's <c>bpf_image</c>/<c>bpf_dump</c> (tcpdump -d, -dd, -ddd).</summary>
public static class CbpfText
{
    private static readonly string?[] AncillaryNames =
    [
        "proto", "type", "ifidx", "nla", "nlan", "mark", "queue", "hatype", "rxhash", "cpu", "xor_x", "vlan_tci", "vlanp", "poff", "random", "vlan_tpid",
    ];

    /// <summary>tcpdump -d: one line per instruction.</summary>
    public static string Listing(IReadOnlyList<CbpfInstruction> program)
    {
        var text = new StringBuilder();
        for (var i = 0; i < program.Count; i++)
            text.Append(Image(program[i], i)).Append('\n');
        return text.ToString();
    }

    /// <summary>tcpdump -dd: C array initialisers.</summary>
    public static string CArray(IReadOnlyList<CbpfInstruction> program)
    {
        var text = new StringBuilder();
        foreach (var insn in program)
            text.Append(CultureInfo.InvariantCulture, $"{{ 0x{insn.Code:x}, {insn.Jt}, {insn.Jf}, 0x{insn.K:x8} }},\n");
        return text.ToString();
    }

    /// <summary>tcpdump -ddd: the count, then decimal fields (the format of <c>tcpdump -F</c> and <c>xt_bpf</c>).</summary>
    public static string Decimal(IReadOnlyList<CbpfInstruction> program)
    {
        var text = new StringBuilder();
        text.Append(program.Count).Append('\n');
        foreach (var insn in program)
            text.Append(CultureInfo.InvariantCulture, $"{insn.Code} {insn.Jt} {insn.Jf} {insn.K}\n");
        return text.ToString();
    }

    /// <summary>One instruction at index <paramref name="n"/> as bpf_image prints it.</summary>
    public static string Image(CbpfInstruction p, int n)
    {
        var k = (int)p.K;
        var (op, operand) = p.Code switch
        {
            Cbpf.Ret | Cbpf.K => ("ret", $"#{k}"),
            Cbpf.Ret | Cbpf.A => ("ret", ""),
            Cbpf.Ld | Cbpf.W | Cbpf.Abs => ("ld", AbsOperand(p.K)),
            Cbpf.Ld | Cbpf.H | Cbpf.Abs => ("ldh", AbsOperand(p.K)),
            Cbpf.Ld | Cbpf.B | Cbpf.Abs => ("ldb", AbsOperand(p.K)),
            Cbpf.Ld | Cbpf.W | Cbpf.Len => ("ld", "#pktlen"),
            Cbpf.Ld | Cbpf.W | Cbpf.Ind => ("ld", $"[x + {k}]"),
            Cbpf.Ld | Cbpf.H | Cbpf.Ind => ("ldh", $"[x + {k}]"),
            Cbpf.Ld | Cbpf.B | Cbpf.Ind => ("ldb", $"[x + {k}]"),
            Cbpf.Ld | Cbpf.Imm => ("ld", $"#0x{p.K:x}"),
            Cbpf.Ldx | Cbpf.Imm => ("ldx", $"#0x{p.K:x}"),
            Cbpf.Ldx | Cbpf.Msh | Cbpf.B => ("ldxb", $"4*([{k}]&0xf)"),
            Cbpf.Ld | Cbpf.Mem => ("ld", $"M[{k}]"),
            Cbpf.Ldx | Cbpf.Mem => ("ldx", $"M[{k}]"),
            Cbpf.St => ("st", $"M[{k}]"),
            Cbpf.Stx => ("stx", $"M[{k}]"),
            Cbpf.Jmp | Cbpf.Ja => ("ja", $"{n + 1 + k}"),
            Cbpf.Jmp | Cbpf.Jgt | Cbpf.K => ("jgt", $"#0x{p.K:x}"),
            Cbpf.Jmp | Cbpf.Jge | Cbpf.K => ("jge", $"#0x{p.K:x}"),
            Cbpf.Jmp | Cbpf.Jeq | Cbpf.K => ("jeq", $"#0x{p.K:x}"),
            Cbpf.Jmp | Cbpf.Jset | Cbpf.K => ("jset", $"#0x{p.K:x}"),
            Cbpf.Jmp | Cbpf.Jgt | Cbpf.X => ("jgt", "x"),
            Cbpf.Jmp | Cbpf.Jge | Cbpf.X => ("jge", "x"),
            Cbpf.Jmp | Cbpf.Jeq | Cbpf.X => ("jeq", "x"),
            Cbpf.Jmp | Cbpf.Jset | Cbpf.X => ("jset", "x"),
            Cbpf.Alu | Cbpf.Neg => ("neg", ""),
            Cbpf.Misc | Cbpf.Tax => ("tax", ""),
            Cbpf.Misc | Cbpf.Txa => ("txa", ""),
            _ when Cbpf.Class(p.Code) == Cbpf.Alu && AluName(p.Code) is { } name =>
                (name, Cbpf.Src(p.Code) == Cbpf.X ? "x" : AluHex(p.Code) ? $"#0x{p.K:x}" : $"#{k}"),
            _ => ("unimp", $"0x{p.Code:x}"),
        };
        if (Cbpf.Class(p.Code) == Cbpf.Jmp && Cbpf.Op(p.Code) != Cbpf.Ja)
            return $"({n:000}) {op,-8} {operand,-16} jt {n + 1 + p.Jt}\tjf {n + 1 + p.Jf}";
        return $"({n:000}) {op,-8} {operand}";
    }

    internal static string? AluName(int code) => Cbpf.Op(code) switch
    {
        Cbpf.Add => "add", Cbpf.Sub => "sub", Cbpf.Mul => "mul", Cbpf.Div => "div", Cbpf.Mod => "mod",
        Cbpf.And => "and", Cbpf.Or => "or", Cbpf.Xor => "xor", Cbpf.Lsh => "lsh", Cbpf.Rsh => "rsh", _ => null,
    };

    private static bool AluHex(int code) => Cbpf.Op(code) is Cbpf.And or Cbpf.Or or Cbpf.Xor;

    private static string AbsOperand(uint k)
    {
        if (k >= Cbpf.AncillaryBase && k < Cbpf.AncillaryBase + Cbpf.AdMax && (k - Cbpf.AncillaryBase) % 4 == 0
            && AncillaryNames[(k - Cbpf.AncillaryBase) / 4] is { } name)
            return $"[{name}]";
        return $"[{(int)k}]";
    }
}
