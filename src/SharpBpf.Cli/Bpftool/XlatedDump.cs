using SharpBpf.Linux;
using SharpBpf.Text;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using SharpBpf.Btf;
using SharpBpf.Isa;
using SharpBpf.Isa.Disassembly;

namespace SharpBpf.Cli.Bpftool;

/// <summary>
/// <c>prog dump xlated PROG [opcodes] [linum]</c>: the kernel's translated instructions in the kernel dialect,
/// with function prototypes and source lines from the program's BTF, as bpftool 7.1 prints them.
/// </summary>
public static class XlatedDump
{
    public static void Render(TextWriter output, BpfFd program, OutputFormat format, bool opcodes, bool linum)
    {
        var info = KernelObjectInfo.GetProgramInfo(program, KernelObjectInfo.ProgramParts.All);
        var insns = Instruction.ReadAll(info.Xlated!);
        var btf = LoadBtf(info.BtfId);
        var funcs = FuncStarts(info, btf);
        var lines = LineInfos(info);
        var symbols = Symbols(info);
        var json = format == OutputFormat.Plain ? null : new BpftoolJsonWriter(output, format == OutputFormat.PrettyJson);
        json?.StartArray();
        int nextLine = 0;
        var text = new StringBuilder();
        for (int i = 0; i < insns.Length; i++)
        {
            var insn = insns[i];
            bool wide = insn.IsWide && i + 1 < insns.Length;
            var next = wide ? insns[i + 1] : default;
            string? proto = funcs.TryGetValue(i, out var p) ? p : null;
            (string File, string Line, uint Number, uint Column)? source = null;
            while (nextLine < lines.Count && lines[nextLine].Insn < i)
                nextLine++;
            if (btf is not null && nextLine < lines.Count && lines[nextLine].Insn == i)
            {
                var l = lines[nextLine++];
                source = (SafeString(btf, l.FileOff), SafeString(btf, l.LineOff).TrimStart(), l.LineCol >> 10, l.LineCol & 0x3ff);
            }
            var disasm = KernelDisassembler.Format(insn, next, symbols);
            if (json is null)
            {
                if (proto is not null)
                    text.Append(proto).Append(":\n");
                if (source is { } s)
                {
                    text.Append("; ").Append(s.Line);
                    if (linum)
                        text.Append($" [file:{s.File} line_num:{s.Number} line_col:{s.Column}]");
                    text.Append('\n');
                }
                text.Append((" " + i.ToString(CultureInfo.InvariantCulture)).PadLeft(4)).Append(": ").Append(disasm).Append('\n');
                if (opcodes)
                    text.Append("       ").Append(Convert.ToHexString(info.Xlated.AsSpan(i * 8, wide ? 16 : 8)).ToLowerInvariant()
                        .Chunk(2).Select(c => new string(c)).Aggregate((a, b) => a + " " + b)).Append('\n');
                if (text.Length > 1 << 16)
                {
                    output.Write(text);
                    text.Clear();
                }
            }
            else
            {
                json.StartObject();
                if (proto is not null)
                    json.Field("proto", proto);
                if (source is { } s)
                {
                    json.Field("src", s.Line);
                    if (linum)
                    {
                        json.Field("file", s.File);
                        // bpftool leaves zero line numbers and columns out of JSON (but prints them in text).
                        if (s.Number != 0)
                            json.Field("line_num", (long)s.Number);
                        if (s.Column != 0)
                            json.Field("line_col", (long)s.Column);
                    }
                }
                json.Field("disasm", disasm);
                if (opcodes)
                    Opcodes(json, info.Xlated.AsSpan(i * 8, wide ? 16 : 8), insn);
                json.EndObject();
            }
            if (wide)
                i++;
        }
        if (json is null)
        {
            output.Write(text);
            return;
        }
        json.EndArray();
        json.Finish();
    }

    private static void Opcodes(BpftoolJsonWriter json, ReadOnlySpan<byte> bytes, Instruction insn)
    {
        json.Name("opcodes");
        json.StartObject();
        json.Name("code"); json.Raw($"\"0x{insn.Opcode:x2}\"");
        json.Name("src_reg"); json.Raw($"\"0x{insn.Src:x}\"");
        json.Name("dst_reg"); json.Raw($"\"0x{insn.Dst:x}\"");
        json.Name("off");
        HexArray(json, bytes.Slice(2, 2));
        json.Name("imm");
        HexArray(json, bytes.Length > 8 ? bytes.Slice(4, 12) : bytes.Slice(4, 4));
        json.EndObject();
    }

    private static void HexArray(BpftoolJsonWriter json, ReadOnlySpan<byte> bytes)
    {
        json.StartArray();
        foreach (var b in bytes)
            json.Raw($"\"0x{b:x2}\"");
        json.EndArray();
    }

    /// <summary>Helpers by kallsyms name; bpf-to-bpf calls as "+off#bpf_prog_TAG_name" from the program's JIT symbols.</summary>
    private static BpftoolXlatedSymbols Symbols(ProgramInfo info)
    {
        var kallsyms = KernelSymbols.Current;
        return new BpftoolXlatedSymbols(insn =>
        {
            if (insn.Src == PseudoSource.Call)
            {
                var ksyms = info.JitedSymbols;
                if (ksyms is null || ksyms.Length == 0)
                    return null;
                int index = insn.Imm;
                if (index < 0 || index >= ksyms.Length)
                    return null;
                var off = insn.Offset.ToString("+0;-0", CultureInfo.InvariantCulture);
                return kallsyms.NameAt(ksyms[index]) is { } n ? $"{off}#{n}" : $"{off}#0x{ksyms[index]:x}";
            }
            if (insn.Src != 0)
                return null;
            var address = unchecked(kallsyms.CallBase + (ulong)(long)insn.Imm);
            return kallsyms.NameAt(address) ?? "0x" + address.ToString("x", CultureInfo.InvariantCulture);
        });
    }

    private static BtfSpec? LoadBtf(uint id)
    {
        if (id == 0)
            return null;
        using var fd = BpfSyscall.TryGetFdById(BpfObjectKind.Btf, id);
        if (fd is null)
            return null;
        var data = KernelObjectInfo.GetBtfInfo(fd, withData: true).Data;
        try
        {
            return data is null ? null : BtfSpec.Parse(data);
        }
        catch (BpfFormatException)
        {
            return null;
        }
    }

    private static Dictionary<int, string> FuncStarts(ProgramInfo info, BtfSpec? btf)
    {
        var result = new Dictionary<int, string>();
        if (btf is null || info.FuncInfo is null || info.FuncInfoRecordSize < 8)
            return result;
        for (int at = 0; at + 8 <= info.FuncInfo.Length; at += (int)info.FuncInfoRecordSize)
        {
            var insn = (int)BinaryPrimitives.ReadUInt32LittleEndian(info.FuncInfo.AsSpan(at));
            var typeId = BinaryPrimitives.ReadUInt32LittleEndian(info.FuncInfo.AsSpan(at + 4));
            if (Prototype(btf, typeId) is { Length: > 0 } proto)
                result.TryAdd(insn, proto);
        }
        return result;
    }

    private static List<(int Insn, uint FileOff, uint LineOff, uint LineCol)> LineInfos(ProgramInfo info)
    {
        var result = new List<(int, uint, uint, uint)>();
        if (info.LineInfo is null || info.LineInfoRecordSize < 16)
            return result;
        for (int at = 0; at + 16 <= info.LineInfo.Length; at += (int)info.LineInfoRecordSize)
        {
            var s = info.LineInfo.AsSpan(at);
            result.Add(((int)BinaryPrimitives.ReadUInt32LittleEndian(s), BinaryPrimitives.ReadUInt32LittleEndian(s[4..]),
                BinaryPrimitives.ReadUInt32LittleEndian(s[8..]), BinaryPrimitives.ReadUInt32LittleEndian(s[12..])));
        }
        return result;
    }

    private static string SafeString(BtfSpec btf, uint offset)
    {
        try { return btf.GetString(offset); }
        catch (Exception e) when (e is BpfFormatException or ArgumentException) { return ""; }
    }

    /// <summary>bpftool's one-line type text (btf_dumper_type_only): "int sock_len(struct __sk_buff * skb)".</summary>
    public static string Prototype(BtfSpec btf, uint typeId)
    {
        var sb = new StringBuilder();
        return TypeOnly(btf, typeId, sb, 0) ? sb.ToString() : "";
    }

    private static bool TypeOnly(BtfSpec btf, uint id, StringBuilder sb, int depth)
    {
        if (depth > 32)
            return false;
        if (id == 0)
        {
            sb.Append("void ");
            return true;
        }
        BtfType t;
        try { t = btf[id]; }
        catch (ArgumentOutOfRangeException) { return false; }
        switch (t)
        {
            case BtfInt or BtfTypedef or BtfFloat:
                sb.Append(t.Name).Append(' ');
                return true;
            case BtfStruct: sb.Append("struct ").Append(t.Name).Append(' '); return true;
            case BtfUnion: sb.Append("union ").Append(t.Name).Append(' '); return true;
            case BtfEnumBase: sb.Append("enum ").Append(t.Name).Append(' '); return true;
            case BtfArray a:
                if (!TypeOnly(btf, a.ElementType, sb, depth + 1)) return false;
                sb.Append('[').Append(a.Count).Append(']');
                return true;
            case BtfPtr p:
                if (!TypeOnly(btf, p.Target, sb, depth + 1)) return false;
                sb.Append("* ");
                return true;
            case BtfFwd f: sb.Append(f.IsUnion ? "union " : "struct ").Append(f.Name).Append(' '); return true;
            case BtfVolatile v: sb.Append("volatile "); return TypeOnly(btf, v.Type, sb, depth + 1);
            case BtfConst c: sb.Append("const "); return TypeOnly(btf, c.Type, sb, depth + 1);
            case BtfRestrict r: sb.Append("restrict "); return TypeOnly(btf, r.Type, sb, depth + 1);
            case BtfFuncProto proto: return Function(btf, proto, null, sb, depth);
            case BtfFunc func:
                return btf[func.Proto] is BtfFuncProto fp && Function(btf, fp, func.Name, sb, depth);
            default:
                return false;
        }
    }

    private static bool Function(BtfSpec btf, BtfFuncProto proto, string? name, StringBuilder sb, int depth)
    {
        if (!TypeOnly(btf, proto.Return, sb, depth + 1))
            return false;
        sb.Append(name is null ? "(" : name + "(");
        for (int i = 0; i < proto.Params.Count; i++)
        {
            if (i > 0)
                sb.Append(", ");
            var param = proto.Params[i];
            if (param.Type == 0)
            {
                sb.Append("...");
                continue;
            }
            if (!TypeOnly(btf, param.Type, sb, depth + 1))
                return false;
            if (param.Name.Length > 0)
                sb.Append(param.Name);
            else if (sb.Length > 0 && sb[^1] == ' ')
                sb.Length--;
        }
        sb.Append(')');
        return true;
    }
}
