using System.Globalization;
using System.Text.RegularExpressions;
using SharpBpf.Isa;
using SharpBpf.Isa.Disassembly;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Isa;

/// <summary>
/// Our kernel dialect against the running kernel's verifier log (its "Live regs before insn" listing, printed by
/// <c>bpftool -d prog load</c>), for single-function programs whose log lines map 1:1 onto the ELF section's slots.
/// </summary>
public partial class KernelDisassemblerVerifierLogTests
{
    [SkippableTheory]
    [InlineData("isa/helpers.c", "socket", "v3")]
    [InlineData("isa/helpers.c", "socket", "v2")]
    [InlineData("isa/atomics.c", "tc", "v3")]
    [InlineData("xdp_pass.c", "xdp", "v3")]
    public void VerifierLogMatchesOurFormatting(string file, string section, string cpu)
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        var obj = TestPrograms.Compile(file, cpu);
        var slots = Instruction.ReadAll(LlvmObjdumpOracle.SectionBytes(obj, section));
        var pin = $"/sys/fs/bpf/sharpbpf_isa_{Environment.ProcessId}_{Guid.NewGuid():n}";
        string log;
        try
        {
            var run = TestPrograms.Run(bpftool, ["-d", "prog", "load", obj, pin]);
            Assert.True(run.ExitCode == 0, run.Stderr);
            log = run.Stdout + run.Stderr;
        }
        finally
        {
            File.Delete(pin);
        }

        int compared = 0;
        var mismatches = new List<string>();
        foreach (Match m in LiveRegsLine().Matches(log))
        {
            int index = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            var text = m.Groups[2].Value.TrimEnd('\r');
            // Map loads print the kernel's map pointer, which only the kernel knows.
            if (text.Contains("= 0xffff", StringComparison.Ordinal))
                continue;
            var ours = KernelDisassembler.Format(slots[index], index + 1 < slots.Length ? slots[index + 1] : default);
            compared++;
            if (ours != text)
                mismatches.Add($"{index}: kernel '{text}' ours '{ours}'");
        }
        Assert.True(compared >= slots.Length / 2, $"only {compared} of {slots.Length} instructions found in the verifier log:\n" + log);
        Assert.True(mismatches.Count == 0, string.Join('\n', mismatches));
    }

    [GeneratedRegex(@"^\s*(\d+): [.0-9]{10} (\(.*)$", RegexOptions.Multiline)]
    private static partial Regex LiveRegsLine();
}
