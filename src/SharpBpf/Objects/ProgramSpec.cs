using SharpBpf.Btf;
using SharpBpf.Isa;

namespace SharpBpf.Objects;

/// <summary>
/// An inert program: one function of an executable section. <see cref="Instructions"/> are the function's own
/// instructions; the subprograms it calls are linked in by <c>ProgramLinker</c> (see <see cref="ObjectSpec"/>).
/// </summary>
public sealed class ProgramSpec
{
    public required string Name { get; set; }
    public required string SectionName { get; set; }
    public BpfProgramType Type { get; set; }
    public BpfAttachType ExpectedAttachType { get; set; }
    /// <summary>What the section name says to attach to: "syscalls/sys_enter_getpid", "libc.so.6:malloc", ... or null.</summary>
    public string? AttachTarget { get; set; }
    /// <summary>Section-name flags such as sleepable ("fentry.s/"), as libbpf parses them.</summary>
    public bool Sleepable { get; set; }
    /// <summary>prog_flags for BPF_PROG_LOAD the section implies: BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS.</summary>
    public uint ProgramFlags { get; set; }
    /// <summary>False for sections written <c>SEC("?name")</c>: libbpf does not load them unless asked.</summary>
    public bool Autoload { get; set; } = true;

    public required Instruction[] Instructions { get; set; }
    public List<Relocation> Relocations { get; init; } = [];

    /// <summary>.BTF.ext func_info for this function (normally one record at 0); offsets in instructions from its start.</summary>
    public List<BtfFuncInfo> FuncInfos { get; init; } = [];
    /// <summary>.BTF.ext line_info; offsets in instructions from the function's start.</summary>
    public List<BtfLineInfo> LineInfos { get; init; } = [];
    /// <summary>.BTF.ext CO-RE relocations; offsets in instructions from the function's start.</summary>
    public List<BtfCoreRelocation> CoreRelocations { get; init; } = [];

    /// <summary>Offset of the function inside its section, in instructions.</summary>
    public int SectionOffset { get; set; }

    public string License { get; set; } = "";
    public uint KernelVersion { get; set; }

    public override string ToString() => $"{Name} ({SectionName}, {Type}, {Instructions.Length} insns)";
}
