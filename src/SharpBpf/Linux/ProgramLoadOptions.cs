using SharpBpf.Isa;

namespace SharpBpf.Linux;

/// <summary>Everything BPF_PROG_LOAD takes. Only <see cref="Type"/> and <see cref="Instructions"/> are required.</summary>
public sealed class ProgramLoadOptions
{
    public required BpfProgramType Type { get; init; }
    /// <summary>Little-endian instructions, already relocated (map fds in place, subprograms appended).</summary>
    public required ReadOnlyMemory<Instruction> Instructions { get; init; }
    public string License { get; init; } = "GPL";
    public BpfAttachType ExpectedAttachType { get; init; }
    /// <summary>kern_version (only kprobe programs on kernels before 5.0 check it).</summary>
    public uint KernelVersion { get; init; }
    /// <summary>The program's name (the kernel keeps 15 characters).</summary>
    public string? Name { get; init; }
    /// <summary>prog_flags: BPF_F_STRICT_ALIGNMENT, BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS...</summary>
    public uint Flags { get; init; }
    /// <summary>The program's BTF; required for func/line info.</summary>
    public KernelBtf? Btf { get; init; }
    /// <summary>Raw bpf_func_info records (insn_off, type_id: 8 bytes each).</summary>
    public ReadOnlyMemory<byte> FuncInfo { get; init; }
    public int FuncInfoRecordSize { get; init; } = 8;
    /// <summary>Raw bpf_line_info records (insn_off, file_name_off, line_off, line_col: 16 bytes each).</summary>
    public ReadOnlyMemory<byte> LineInfo { get; init; }
    public int LineInfoRecordSize { get; init; } = 16;
    public uint AttachBtfId { get; init; }
    public BpfFd? AttachProgramFd { get; init; }
    public BpfFd? AttachBtfObjectFd { get; init; }
    public uint Ifindex { get; init; }
    /// <summary>Verifier log level when the first load fails (1 = basic, 2 = verbose). 0 disables the retry.</summary>
    public uint LogLevelOnFailure { get; init; } = 1;
    /// <summary>Always load with this log level and keep the log (<see cref="KernelProgram.VerifierLog"/>); 0 = only on failure.</summary>
    public uint LogLevel { get; init; }
    /// <summary>
    /// Turns an instruction index into source text ("file.c:12: x = y;") for error messages; the BTF layer
    /// supplies it from .BTF.ext line info. Null when unavailable.
    /// </summary>
    public Func<int, string?>? SourceLine { get; init; }
}
