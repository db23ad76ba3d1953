namespace SharpBpf.Isa.Disassembly;

/// <summary>
/// Names that only the kernel side knows, for the kernel dialect (the kernel's <c>bpf_insn_cbs</c> callbacks).
/// Return null to fall back to the kernel's own default text.
/// </summary>
public interface IKernelSymbols
{
    /// <summary>The target of a call: printed after <c>call pc</c> for bpf-to-bpf calls (e.g. <c>+3#bpf_prog_..._f</c>)
    /// and before <c>#imm</c> for helper and kfunc calls (e.g. <c>bpf_trace_printk</c>). Not consulted for a helper
    /// whose imm is a known helper id (the kernel names those itself).</summary>
    string? CallTarget(Instruction insn);

    /// <summary>The value of an ld_imm64 (e.g. <c>map[id:5]</c>); <paramref name="next"/> is its second slot.</summary>
    string? Imm64(Instruction insn, Instruction next);
}

/// <summary>
/// The names bpftool 7.1 prints in <c>prog dump xlated</c>: maps by id (<c>map[id:5]</c>, <c>map[id:5][0]+8</c>,
/// <c>map[idx:1]+0</c>), functions as <c>subprog[+3]</c>; calls through an optional resolver (bpftool uses kallsyms
/// and the program's JIT symbols), otherwise bpf-to-bpf calls print their offset (<c>call pc+3</c>) as for
/// interpreted programs and helpers print their address as hex.
/// </summary>
public sealed class BpftoolXlatedSymbols(Func<Instruction, string?>? callTarget = null) : IKernelSymbols
{
    public string? CallTarget(Instruction insn)
    {
        if (callTarget?.Invoke(insn) is { } name)
            return name;
        // In xlated code a bpf-to-bpf call keeps its pc-relative offset in `off` (imm becomes the subprogram index).
        return insn.Src == PseudoSource.Call ? insn.Offset.ToString("+0;-0", System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    public string? Imm64(Instruction insn, Instruction next) => insn.Src switch
    {
        PseudoSource.MapFd => $"map[id:{(uint)insn.Imm}]",
        PseudoSource.MapValue => $"map[id:{(uint)insn.Imm}][0]+{(uint)next.Imm}",
        PseudoSource.MapIdxValue => $"map[idx:{(uint)insn.Imm}]+{(uint)next.Imm}",
        PseudoSource.Func => $"subprog[{insn.Imm.ToString("+0;-0", System.Globalization.CultureInfo.InvariantCulture)}]",
        _ => null,
    };
}
