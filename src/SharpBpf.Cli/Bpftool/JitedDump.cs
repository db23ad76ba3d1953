using SharpBpf.Linux;
using SharpBpf.Text;
using System.Text;
using Iced.Intel;

namespace SharpBpf.Cli.Bpftool;

/// <summary>
/// <c>prog dump jited PROG [opcodes] [linum]</c>: the kernel's x86-64 JIT image disassembled (Iced, AT&amp;T syntax as
/// objdump and a libbfd-enabled bpftool print it), one block per JITed function named from kallsyms, with source lines
/// from the program's line info.
/// </summary>
public static partial class JitedDump
{
    [System.Text.RegularExpressions.GeneratedRegex(@"\((%\w+),(%\w+)\)")]
    private static partial System.Text.RegularExpressions.Regex UnscaledIndex();

    public static void Render(TextWriter output, BpfFd program, OutputFormat format, bool opcodes, bool linum)
    {
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
            throw new BpfException("prog dump jited: only x86-64 JIT images can be disassembled");
        var info = KernelObjectInfo.GetProgramInfo(program, KernelObjectInfo.ProgramParts.All);
        if (info.Jited is null || info.Jited.Length == 0)
            throw new BpfException($"program {info.Id} is not JITed (or the kernel hides its image: kernel.kptr_restrict / bpf_jit_harden)");
        var ksyms = info.JitedSymbols ?? [];
        var lens = info.JitedFunctionLengths ?? [];
        var lines = SourceLines.For(info, linum);
        var json = format == OutputFormat.Plain ? null : new BpftoolJsonWriter(output, format == OutputFormat.PrettyJson);
        var text = new StringBuilder();
        if (lens.Length > 0 && lens.Length == ksyms.Length)
        {
            json?.StartArray();
            int offset = 0;
            for (int f = 0; f < lens.Length; f++)
            {
                var name = KernelSymbols.Current.NameAt(ksyms[f]) ?? "?";
                var code = info.Jited.AsSpan(offset, (int)Math.Min(lens[f], (uint)(info.Jited.Length - offset))).ToArray();
                if (json is not null)
                {
                    json.StartObject();
                    json.Field("name", name);
                    json.Name("insns");
                }
                else
                {
                    text.Append(name).Append(":\n");
                }
                Disassemble(text, json, code, opcodes, lines, ksyms[f]);
                if (json is not null)
                    json.EndObject();
                else
                    text.Append('\n');
                offset += code.Length;
            }
            json?.EndArray();
        }
        else
        {
            Disassemble(text, json, info.Jited, opcodes, lines, 0);
        }
        if (json is null)
            output.Write(text);
        else
            json.Finish();
    }

    /// <summary>objdump's layout of one instruction: mnemonic padded to 6 characters, then its operands.</summary>
    public static IEnumerable<(int Pc, int Length, string Text)> Instructions(byte[] code)
    {
        var decoder = Iced.Intel.Decoder.Create(64, new ByteArrayCodeReader(code), 0);
        var formatter = new GasFormatter();
        formatter.Options.FirstOperandCharIndex = 7;
        formatter.Options.ShowSymbolAddress = false;
        formatter.Options.UppercaseHex = false;
        formatter.Options.HexPrefix = "0x";
        formatter.Options.HexSuffix = null;
        formatter.Options.SpaceAfterOperandSeparator = false;
        formatter.Options.GasShowMnemonicSizeSuffix = false;
        formatter.Options.BranchLeadingZeros = false;
        formatter.Options.SmallHexNumbersInDecimal = false;
        formatter.Options.ShowZeroDisplacements = true;
        var output = new StringOutput();
        while (decoder.IP < (ulong)code.Length)
        {
            int pc = (int)decoder.IP;
            decoder.Decode(out var insn);
            if (insn.IsInvalid)
            {
                yield return (pc, 1, "(bad)");
                decoder.IP = (ulong)pc + 1;
                continue;
            }
            formatter.Format(insn, output);
            // objdump always writes the scale of an indexed operand, (%rax,%rax,1), and all three operands of imul.
            var text = UnscaledIndex().Replace(output.ToStringAndReset().TrimEnd(), "($1,$2,1)");
            if (insn.Mnemonic == Mnemonic.Imul && insn.OpCount == 3 && insn.Op0Kind == OpKind.Register && insn.Op1Kind == OpKind.Register
                && insn.Op0Register == insn.Op1Register && text.Count(c => c == ',') == 1)
                text += ",%" + insn.Op0Register.ToString().ToLowerInvariant();
            yield return (pc, insn.Length, text);
        }
    }

    private static void Disassemble(StringBuilder text, BpftoolJsonWriter? json, byte[] code, bool opcodes, SourceLines lines, ulong functionAddress)
    {
        json?.StartArray();
        foreach (var (pc, length, insnText) in Instructions(code))
        {
            var source = lines.At(functionAddress + (ulong)pc);
            if (json is null)
            {
                if (source is not null)
                    text.Append("; ").Append(source).Append('\n');
                text.Append(pc.ToString("x").PadLeft(4)).Append(":\t").Append(insnText);
                if (opcodes)
                {
                    text.Append("\n\t");
                    for (int i = 0; i < length; i++)
                        text.Append(code[pc + i].ToString("x2")).Append(' ');
                }
                text.Append('\n');
            }
            else
            {
                json.StartObject();
                if (source is not null)
                    json.Field("src", source);
                json.Field("pc", $"0x{pc:x}");
                var (operation, operands) = SplitOperands(insnText);
                json.Field("operation", operation);
                json.Name("operands");
                if (operands.Count == 0)
                    json.Null();
                else
                {
                    json.StartArray();
                    foreach (var operand in operands)
                        json.String(operand);
                    json.EndArray();
                }
                if (opcodes)
                {
                    json.Name("opcodes");
                    json.StartArray();
                    for (int i = 0; i < length; i++)
                        json.Raw($"\"0x{code[pc + i]:x2}\"");
                    json.EndArray();
                }
                json.EndObject();
            }
        }
        json?.EndArray();
    }

    /// <summary>"mov    0x8(%rbx,%rcx,1),%r13" → ("mov", ["0x8(%rbx,%rcx,1)", "%r13"]): commas inside parentheses do not split.</summary>
    public static (string Operation, List<string> Operands) SplitOperands(string text)
    {
        int space = text.IndexOf(' ');
        if (space < 0)
            return (text, []);
        var operands = new List<string>();
        var rest = text[space..].Trim();
        int depth = 0, start = 0;
        for (int i = 0; i < rest.Length; i++)
        {
            if (rest[i] == '(') depth++;
            else if (rest[i] == ')') depth--;
            else if (rest[i] == ',' && depth == 0)
            {
                operands.Add(rest[start..i]);
                start = i + 1;
            }
        }
        operands.Add(rest[start..]);
        return (text[..space], operands);
    }

    /// <summary>Source lines by JIT address, from the program's line info and jited_line_info.</summary>
    private sealed class SourceLines
    {
        private readonly Dictionary<ulong, string> _byAddress = new();

        public static SourceLines For(ProgramInfo info, bool linum)
        {
            var result = new SourceLines();
            if (info.BtfId == 0 || info.LineInfo is null || info.JitedLineInfo is null || info.LineInfoRecordSize < 16)
                return result;
            using var fd = BpfSyscall.TryGetFdById(BpfObjectKind.Btf, info.BtfId);
            if (fd is null || KernelObjectInfo.GetBtfInfo(fd, withData: true).Data is not { } data)
                return result;
            var btf = SharpBpf.Btf.BtfSpec.Parse(data);
            int count = Math.Min(info.JitedLineInfo.Length, info.LineInfo.Length / (int)info.LineInfoRecordSize);
            for (int i = 0; i < count; i++)
            {
                var record = info.LineInfo.AsSpan(i * (int)info.LineInfoRecordSize);
                uint fileOff = BitConverter.ToUInt32(record[4..]), lineOff = BitConverter.ToUInt32(record[8..]), lineCol = BitConverter.ToUInt32(record[12..]);
                var line = btf.GetString(lineOff).TrimStart();
                if (linum)
                    line += $" [file:{btf.GetString(fileOff)} line_num:{lineCol >> 10} line_col:{lineCol & 0x3ff}]";
                result._byAddress.TryAdd(info.JitedLineInfo[i], line);
            }
            return result;
        }

        public string? At(ulong address) => _byAddress.TryGetValue(address, out var s) ? s : null;
    }
}
