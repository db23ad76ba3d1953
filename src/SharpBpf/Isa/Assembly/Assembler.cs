using System.Globalization;

namespace SharpBpf.Isa.Assembly;

/// <summary>
/// Assembles the text dialect of the BPF conformance suite: <c>mov %r0, 1</c>, <c>ldxdw %r0, [%r1+8]</c>,
/// <c>jne32 %r1, 5, label</c>, <c>lock fetch add [%r10-8], %r1</c>, <c>call local func1</c>, <c>lddw %r0, 0x1</c>...
/// One instruction or label per line, <c>#</c> starts a comment, jump targets are labels or <c>+N</c>/<c>-N</c>,
/// and the first <c>exit</c> also defines the label <c>exit</c>. Mnemonics come from <see cref="OpcodeTable"/>.
/// </summary>
public static class Assembler
{
    /// <summary>Assembles <paramref name="source"/>; throws <see cref="AssemblerException"/> naming the bad line.</summary>
    public static Instruction[] Assemble(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var output = new List<Instruction>();
        var labels = new Dictionary<string, int>(StringComparer.Ordinal);
        var fixups = new List<(int Slot, string Label, bool InImm, int Line, string Text)>();
        bool sawExit = false;
        var lines = source.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            var text = lines[n];
            var code = StripComment(text).Trim();
            if (code.Length == 0)
                continue;
            var line = new Line(n + 1, text);
            var tokens = Tokenize(code);
            var mnemonic = tokens[0];
            if (mnemonic.EndsWith(':'))
            {
                var label = mnemonic[..^1];
                if (tokens.Count > 1 || label.Length == 0)
                    throw line.Error("a label stands alone on its line");
                if (!labels.TryAdd(label, output.Count))
                    throw line.Error($"duplicate label '{label}'");
                continue;
            }
            if (mnemonic == "exit" && !sawExit)
            {
                labels["exit"] = output.Count;
                sawExit = true;
            }
            var operands = tokens.GetRange(1, tokens.Count - 1);
            var encoded = Encode(mnemonic, operands, line, out var target);
            if (target is not null)
                fixups.Add((output.Count, target.Value.Label, target.Value.InImm, line.Number, text));
            output.Add(encoded.First);
            if (encoded.Second is { } second)
                output.Add(second);
        }
        foreach (var (slot, label, inImm, number, text) in fixups)
        {
            if (!labels.TryGetValue(label, out int at))
                throw new AssemblerException($"unknown label '{label}'", number, text);
            int delta = at - slot - 1;
            var insn = output[slot];
            if (inImm)
                output[slot] = insn.WithImm(delta);
            else if (delta is < short.MinValue or > short.MaxValue)
                throw new AssemblerException($"label '{label}' is {delta} instructions away, beyond a 16-bit offset", number, text);
            else
                output[slot] = insn.WithOffset((short)delta);
        }
        return [.. output];
    }

    private readonly record struct Line(int Number, string Text)
    {
        public AssemblerException Error(string message) => new(message, Number, Text);
    }

    private readonly record struct Encoded(Instruction First, Instruction? Second = null);

    private static Encoded Encode(string mnemonic, List<string> ops, Line line, out (string Label, bool InImm)? target)
    {
        target = null;
        switch (mnemonic)
        {
            case "lock":
                return new(EncodeAtomic(ops, line));
            case "call":
                return new(EncodeCall(ops, line, out target));
        }
        if (TryEndian(mnemonic, out var endianOpcode, out int width))
        {
            Expect(ops, 1, mnemonic, line);
            return new(new Instruction(endianOpcode, Register(ops[0], line), 0, 0, width));
        }

        short offset = 0;
        var name = mnemonic;
        if (name.StartsWith("sdiv", StringComparison.Ordinal) || name.StartsWith("smod", StringComparison.Ordinal))
        {
            name = name[1..];
            offset = 1;
        }
        else if (name.StartsWith("movsx", StringComparison.Ordinal) && name.Length > 7)
        {
            // movsx<from><to>: movsx832, movsx1664, movsx3264 ...
            var bits = name[5..^2];
            var to = name[^2..];
            if (bits is not ("8" or "16" or "32") || to is not ("32" or "64"))
                throw line.Error($"unknown mnemonic '{mnemonic}'");
            offset = short.Parse(bits, CultureInfo.InvariantCulture);
            name = to == "32" ? "mov32" : "mov";
        }
        if (!OpcodeTable.ByMnemonic.TryGetValue(name, out var info))
            throw line.Error($"unknown mnemonic '{mnemonic}'");

        switch (info.Shape)
        {
            case InstructionShape.Alu:
            {
                Expect(ops, 2, mnemonic, line);
                var dst = Register(ops[0], line);
                if (IsRegister(ops[1]))
                    return new(new Instruction((byte)(info.Opcode | (byte)OpSource.X), dst, Register(ops[1], line), offset, 0));
                if (offset != 0 && (AluOp)(info.Opcode & 0xf0) == AluOp.Mov)
                    throw line.Error("movsx takes a source register");
                return new(new Instruction(info.Opcode, dst, 0, offset, Imm32(ops[1], line)));
            }
            case InstructionShape.Neg:
                Expect(ops, 1, mnemonic, line);
                return new(new Instruction(info.Opcode, Register(ops[0], line), 0, 0, 0));
            case InstructionShape.CondJump:
            {
                Expect(ops, 3, mnemonic, line);
                var dst = Register(ops[0], line);
                var jump = JumpTarget(ops[2], line, out var label);
                if (label is not null)
                    target = (label, false);
                if (IsRegister(ops[1]))
                    return new(new Instruction((byte)(info.Opcode | (byte)OpSource.X), dst, Register(ops[1], line), (short)jump, 0));
                return new(new Instruction(info.Opcode, dst, 0, (short)jump, Imm32(ops[1], line)));
            }
            case InstructionShape.Ja:
            {
                Expect(ops, 1, mnemonic, line);
                bool wide = info.Class == OpClass.Jmp32;
                var jump = JumpTarget(ops[0], line, out var label, wide);
                if (label is not null)
                    target = (label, wide);
                return new(wide ? new Instruction(info.Opcode, 0, 0, 0, jump) : new Instruction(info.Opcode, 0, 0, (short)jump, 0));
            }
            case InstructionShape.Exit:
                Expect(ops, 0, mnemonic, line);
                return new(new Instruction(info.Opcode, 0, 0, 0, 0));
            case InstructionShape.Callx:
                Expect(ops, 1, mnemonic, line);
                return new(new Instruction(info.Opcode, Register(ops[0], line), 0, 0, 0));
            case InstructionShape.LoadImm64:
            {
                Expect(ops, 2, mnemonic, line);
                var value = Imm64(ops[1], line);
                return new(new Instruction(info.Opcode, Register(ops[0], line), 0, 0, (int)value),
                    new Instruction(0, 0, 0, 0, (int)(value >> 32)));
            }
            case InstructionShape.LoadPacket:
                if (info.Opcode is >= 0x40 and < 0x60)
                {
                    // ldind<size> %src, imm
                    Expect(ops, 2, mnemonic, line);
                    return new(new Instruction(info.Opcode, 0, Register(ops[0], line), 0, Imm32(ops[1], line)));
                }
                Expect(ops, 1, mnemonic, line);
                return new(new Instruction(info.Opcode, 0, 0, 0, Imm32(ops[0], line)));
            case InstructionShape.Load:
            {
                Expect(ops, 2, mnemonic, line);
                var (src, off) = Memory(ops[1], line);
                return new(new Instruction(info.Opcode, Register(ops[0], line), src, off, 0));
            }
            case InstructionShape.StoreImm:
            {
                Expect(ops, 2, mnemonic, line);
                var (dst, off) = Memory(ops[0], line);
                return new(new Instruction(info.Opcode, dst, 0, off, Imm32(ops[1], line)));
            }
            case InstructionShape.StoreReg:
            {
                Expect(ops, 2, mnemonic, line);
                var (dst, off) = Memory(ops[0], line);
                return new(new Instruction(info.Opcode, dst, Register(ops[1], line), off, 0));
            }
            default:
                throw line.Error($"'{mnemonic}' is written with 'lock'");
        }
    }

    /// <summary><c>lock [fetch] add|and|or|xor|xchg|cmpxchg[32] [%rD+off], %rS</c>.</summary>
    private static Instruction EncodeAtomic(List<string> ops, Line line)
    {
        bool fetch = ops.Count > 0 && ops[0] == "fetch";
        if (fetch)
            ops = ops.GetRange(1, ops.Count - 1);
        if (ops.Count != 3)
            throw line.Error("expected 'lock [fetch] <op> [%rD+off], %rS'");
        var op = ops[0];
        bool narrow = op.EndsWith("32", StringComparison.Ordinal);
        if (narrow)
            op = op[..^2];
        // add/and/or/xor carry their ALU operation code in imm; xchg and cmpxchg are fixed values.
        int imm = op switch
        {
            "xchg" => AtomicOp.Xchg,
            "cmpxchg" => AtomicOp.CmpXchg,
            "add" or "and" or "or" or "xor" => OpcodeTable.ByMnemonic[op].Opcode & 0xf0,
            _ => throw line.Error($"unknown atomic operation '{ops[0]}'"),
        };
        if (fetch)
            imm |= AtomicOp.Fetch;
        var opcode = OpcodeTable.ByMnemonic[narrow ? "atomicw" : "atomicdw"].Opcode;
        var (dst, off) = Memory(ops[1], line);
        return new Instruction(opcode, dst, Register(ops[2], line), off, imm);
    }

    /// <summary><c>call N</c> (helper), <c>call %rN</c> (callx), <c>call local label</c>, <c>call helper N</c>, <c>call runtime N</c> (kfunc).</summary>
    private static Instruction EncodeCall(List<string> ops, Line line, out (string Label, bool InImm)? target)
    {
        target = null;
        if (ops.Count == 1)
            ops = ["helper", ops[0]];
        if (ops.Count != 2)
            throw line.Error("expected 'call N', 'call %rN' or 'call local label'");
        switch (ops[0])
        {
            case "helper" when IsRegister(ops[1]):
                return new Instruction(Opcodes.Callx, Register(ops[1], line), 0, 0, 0);
            case "helper":
                return new Instruction(Opcodes.Call, 0, PseudoSource.Helper, 0, Imm32(ops[1], line));
            case "local":
            {
                var jump = JumpTarget(ops[1], line, out var label, wide: true);
                if (label is not null)
                    target = (label, true);
                return new Instruction(Opcodes.Call, 0, PseudoSource.Call, 0, jump);
            }
            case "runtime":
                return new Instruction(Opcodes.Call, 0, PseudoSource.KfuncCall, 0, Imm32(ops[1], line));
            default:
                throw line.Error($"unknown call kind '{ops[0]}' (helper, local or runtime)");
        }
    }

    /// <summary>le16/32/64, be16/32/64, swap16/32/64 and bswap16/32/64 (swap is the conformance suite's old name for bswap).</summary>
    private static bool TryEndian(string mnemonic, out byte opcode, out int width)
    {
        opcode = 0;
        width = 0;
        string prefix = mnemonic.StartsWith("bswap", StringComparison.Ordinal) ? "bswap"
            : mnemonic.StartsWith("swap", StringComparison.Ordinal) ? "swap"
            : mnemonic.StartsWith("le", StringComparison.Ordinal) ? "le"
            : mnemonic.StartsWith("be", StringComparison.Ordinal) ? "be" : "";
        if (prefix.Length == 0 || mnemonic[prefix.Length..] is not ("16" or "32" or "64"))
            return false;
        width = int.Parse(mnemonic[prefix.Length..], CultureInfo.InvariantCulture);
        var name = prefix == "swap" ? "bswap" : prefix;
        opcode = OpcodeTable.All.First(i => i.Shape == InstructionShape.Endian && i.Mnemonic == name).Opcode;
        return true;
    }

    private static string StripComment(string text)
    {
        int hash = text.IndexOf('#');
        return hash >= 0 ? text[..hash] : text;
    }

    /// <summary>Whitespace-separated tokens, trailing commas dropped; "a,b" is split too.</summary>
    private static List<string> Tokenize(string code)
    {
        var tokens = new List<string>();
        foreach (var word in code.Split([' ', '\t', '\r', ','], StringSplitOptions.RemoveEmptyEntries))
            tokens.Add(word);
        return tokens;
    }

    private static void Expect(List<string> ops, int count, string mnemonic, Line line)
    {
        if (ops.Count != count)
            throw line.Error($"'{mnemonic}' takes {count} operand{(count == 1 ? "" : "s")}, got {ops.Count}");
    }

    private static bool IsRegister(string token) => token.StartsWith('%') || token.StartsWith('r') && token.Length > 1 && char.IsDigit(token[1]);

    private static byte Register(string token, Line line)
    {
        var name = token.StartsWith('%') ? token[1..] : token;
        if (name.Length >= 2 && name[0] == 'r' &&
            byte.TryParse(name.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var r) && r <= 10)
            return r;
        throw line.Error($"'{token}' is not a register (%r0-%r10)");
    }

    /// <summary>[%rN], [%rN+off], [%rN-off]; the offset may be hex.</summary>
    private static (byte Reg, short Offset) Memory(string token, Line line)
    {
        if (token.Length < 3 || token[0] != '[' || token[^1] != ']')
            throw line.Error($"'{token}' is not a memory operand like [%r1+8]");
        var inner = token[1..^1];
        int sign = inner.IndexOfAny(['+', '-']);
        if (sign < 0)
            return (Register(inner, line), 0);
        var value = Number(inner[sign..], line, out _);
        if (value is < short.MinValue or > ushort.MaxValue)
            throw line.Error($"offset '{inner[sign..]}' does not fit 16 bits");
        return (Register(inner[..sign], line), unchecked((short)value));
    }

    private static int JumpTarget(string token, Line line, out string? label, bool wide = false)
    {
        label = null;
        if (token.StartsWith('+') || token.StartsWith('-'))
        {
            var value = Number(token, line, out _);
            if (wide ? value is < int.MinValue or > int.MaxValue : value is < short.MinValue or > short.MaxValue)
                throw line.Error($"jump offset '{token}' out of range");
            return (int)value;
        }
        if (token.Length == 0 || char.IsDigit(token[0]))
            throw line.Error($"jump target '{token}' must be a label or +N/-N");
        label = token;
        return 0;
    }

    private static int Imm32(string token, Line line)
    {
        var value = Number(token, line, out _);
        if (value is < int.MinValue or > uint.MaxValue)
            throw line.Error($"immediate '{token}' does not fit 32 bits");
        return unchecked((int)value);
    }

    private static long Imm64(string token, Line line)
    {
        var text = token.StartsWith('+') ? token[1..] : token;
        bool negative = text.StartsWith('-');
        var digits = negative ? text[1..] : text;
        bool hex = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (!ulong.TryParse(hex ? digits[2..] : digits, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None,
                CultureInfo.InvariantCulture, out var magnitude) || (negative && !hex && magnitude > 1UL << 63))
            throw line.Error($"'{token}' is not a 64-bit number");
        return negative ? unchecked(-(long)magnitude) : unchecked((long)magnitude);
    }

    /// <summary>Decimal or 0x-hex, optionally signed; checked to fit 64 bits signed.</summary>
    private static long Number(string token, Line line, out bool hex)
    {
        var text = token.StartsWith('+') ? token[1..] : token;
        bool negative = text.StartsWith('-');
        var digits = negative ? text[1..] : text;
        hex = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        if (!long.TryParse(hex ? digits[2..] : digits, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None,
                CultureInfo.InvariantCulture, out var magnitude) || magnitude < 0)
            throw line.Error($"'{token}' is not a number");
        return negative ? -magnitude : magnitude;
    }
}
