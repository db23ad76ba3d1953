using SharpBpf.Btf;
using SharpBpf.Isa;
using SharpBpf.Objects;

namespace SharpBpf.Verifier;

/// <summary>A program as the verifier sees it: linked instructions, what each ld_imm64 refers to, its type and license.</summary>
public sealed class VerifierInput
{
    public required string Name { get; init; }
    public required Instruction[] Instructions { get; init; }
    public BpfProgramType Type { get; init; }
    public BpfAttachType AttachType { get; init; }
    public bool GplCompatible { get; init; } = true;
    /// <summary>ld_imm64 at an index: the map it loads (ValueOffset null) or the address of a byte of its value.</summary>
    public Dictionary<int, (MapSpec Map, int? ValueOffset)> MapLoads { get; init; } = [];
    /// <summary>ld_imm64 of kernel symbols (__ksym): BTF-typed kernel pointers.</summary>
    public HashSet<int> KernelSymbolLoads { get; init; } = [];
    public IReadOnlyList<BtfLineInfo> LineInfos { get; init; } = [];

    /// <summary>The program <paramref name="program"/> of <paramref name="obj"/>, linked with its subprograms.</summary>
    public static VerifierInput From(ObjectSpec obj, ProgramSpec program)
    {
        var linked = ProgramLinker.Link(obj, program);
        var insns = (Instruction[])linked.Instructions.Clone();
        var maps = new Dictionary<int, (MapSpec, int?)>();
        var ksyms = new HashSet<int>();
        foreach (var reloc in linked.Relocations)
        {
            switch (reloc)
            {
                case MapReference m when obj.FindMap(m.MapName) is { } map:
                    maps[m.InstructionIndex] = (map, null);
                    break;
                case MapValueReference v when obj.FindMap(v.MapName) is { } map:
                    maps[v.InstructionIndex] = (map, v.Offset);
                    break;
                case KconfigReference k when obj.Maps.Find(x => x.DataSection == ".kconfig") is { } map:
                    maps[k.InstructionIndex] = (map, k.Offset);
                    break;
                case KsymReference s:
                    ksyms.Add(s.InstructionIndex);
                    break;
                case KfuncCall f:
                    insns[f.InstructionIndex] = insns[f.InstructionIndex].WithSrc(PseudoSource.KfuncCall);
                    break;
            }
        }
        return new VerifierInput
        {
            Name = program.Name,
            Instructions = insns,
            Type = program.Type,
            AttachType = program.ExpectedAttachType,
            GplCompatible = IsGplCompatible(program.License.Length > 0 ? program.License : obj.License),
            MapLoads = maps,
            KernelSymbolLoads = ksyms,
            LineInfos = linked.LineInfos,
        };
    }

    /// <summary>The kernel's license_is_gpl_compatible.</summary>
    public static bool IsGplCompatible(string license) => license is "GPL" or "GPL v2" or "GPL and additional rights"
        or "Dual BSD/GPL" or "Dual MIT/GPL" or "Dual MPL/GPL";
}
