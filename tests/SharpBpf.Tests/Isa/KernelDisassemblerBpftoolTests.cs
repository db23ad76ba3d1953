using System.Globalization;
using System.Text.RegularExpressions;
using SharpBpf.Isa;
using SharpBpf.Isa.Disassembly;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Isa;

/// <summary>
/// Our kernel dialect against bpftool 7.1 on programs loaded into the running kernel: every line of
/// <c>bpftool prog dump xlated ... opcodes</c> is re-disassembled from its bytes and compared.
/// </summary>
public partial class KernelDisassemblerBpftoolTests
{
    public static TheoryData<string, string> Programs() => new()
    {
        { "isa/ops.c", "v3" }, { "isa/ops.c", "v2" }, { "isa/ops.c", "v1" }, { "isa/atomics.c", "v3" }, { "isa/helpers.c", "v3" }, { "xdp_pass.c", "v3" },
    };

    [SkippableTheory]
    [MemberData(nameof(Programs))]
    public void XlatedDumpMatchesBpftool(string file, string cpu)
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        var obj = TestPrograms.Compile(file, cpu);
        var pin = $"/sys/fs/bpf/sharpbpf_isa_{Environment.ProcessId}_{Guid.NewGuid():n}";
        var load = TestPrograms.Run(bpftool, ["prog", "load", obj, pin]);
        Assert.True(load.ExitCode == 0, $"bpftool prog load failed: {load.Stderr}");
        string dump;
        try
        {
            var run = TestPrograms.Run(bpftool, ["prog", "dump", "xlated", "pinned", pin, "opcodes"]);
            Assert.True(run.ExitCode == 0, run.Stderr);
            dump = run.Stdout;
        }
        finally
        {
            File.Delete(pin);
        }

        var lines = XlatedLines(dump);
        Assert.True(lines.Count > 1, dump);
        var mismatches = new List<string>();
        foreach (var (index, text, insn, next) in lines)
        {
            // bpf-to-bpf call targets come from the program's JIT symbols (BPF_OBJ_GET_INFO_BY_FD), which this
            // layer does not read: take the name from bpftool's line, everything else is ours.
            var jitName = PseudoCallName().Match(text);
            var symbols = new BpftoolXlatedSymbols(i => i.Src == PseudoSource.Call && jitName.Success
                ? i.Offset.ToString("+0;-0", CultureInfo.InvariantCulture) + "#" + jitName.Groups[1].Value
                : Kallsyms.HelperName(i));
            var ours = KernelDisassembler.Format(insn, next, symbols);
            if (ours != text)
                mismatches.Add($"{index}: bpftool '{text}' ours '{ours}' {insn}");
        }
        Assert.True(mismatches.Count == 0, string.Join('\n', mismatches));
    }

    /// <summary>(index, text, slot, next slot) for each instruction of a plain "dump xlated ... opcodes" listing.</summary>
    internal static List<(int Index, string Text, Instruction Insn, Instruction Next)> XlatedLines(string dump)
    {
        var result = new List<(int, string, Instruction, Instruction)>();
        var rows = dump.Split('\n');
        for (int i = 0; i < rows.Length - 1; i++)
        {
            var m = InsnLine().Match(rows[i]);
            var b = BytesLine().Match(rows[i + 1]);
            if (!m.Success || !b.Success)
                continue;
            var bytes = b.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(h => byte.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToArray();
            var slots = Instruction.ReadAll(bytes);
            result.Add((int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m.Groups[2].Value,
                slots[0], slots.Length > 1 ? slots[1] : default));
        }
        return result;
    }

    [GeneratedRegex(@"^\s*(\d+): (.*)$")]
    private static partial Regex InsnLine();

    [GeneratedRegex(@"^ {7}((?:[0-9a-f]{2} ?)+)$")]
    private static partial Regex BytesLine();

    [GeneratedRegex(@"^\(85\) call pc[+-]\d+#(\S+)$")]
    private static partial Regex PseudoCallName();

    /// <summary>Helper addresses as bpftool resolves them: __bpf_call_base + imm, looked up in /proc/kallsyms.</summary>
    private static class Kallsyms
    {
        private static readonly Lazy<(ulong Base, Dictionary<ulong, string> ByAddress)> Table = new(Load);

        public static string? HelperName(Instruction insn)
        {
            if (insn.Src != 0)
                return null;
            var (callBase, byAddress) = Table.Value;
            var address = unchecked(callBase + (ulong)(long)insn.Imm);
            return byAddress.TryGetValue(address, out var name) ? name : "0x" + address.ToString("x", CultureInfo.InvariantCulture);
        }

        private static (ulong, Dictionary<ulong, string>) Load()
        {
            ulong callBase = 0;
            var byAddress = new Dictionary<ulong, string>();
            foreach (var line in File.ReadLines("/proc/kallsyms"))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length < 3)
                    continue;
                var address = ulong.Parse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                var name = parts[2].Split('\t')[0];
                if (name == "__bpf_call_base")
                    callBase = address;
                byAddress.TryAdd(address, name);
            }
            return (callBase, byAddress);
        }
    }
}
