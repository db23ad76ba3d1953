using SharpBpf.Btf;
using SharpBpf.Isa;
using SharpBpf.Objects;
using SharpBpf.Verifier;
using SharpBpf.Vm.Maps;

namespace SharpBpf.Vm;

/// <summary>What an object load knows about a program beyond its instructions: where its lines came from, its license
/// and attach type (what the static verifier's diagnostics and return-code rules need).</summary>
internal sealed record VmProgramOrigin(IReadOnlyList<BtfLineInfo> LineInfos, bool GplCompatible, BpfAttachType AttachType);

/// <summary>
/// <see cref="VmOptions.VerifyBeforeLoad"/>: runs the <see cref="StaticVerifier"/> over a program the VM is loading, with
/// the engine's maps standing in for the ones its <c>ld_imm64</c> refer to, and refuses it as the kernel would.
/// </summary>
internal static class VmLoadVerifier
{
    /// <summary>Verifies <paramref name="code"/> when the engine asks for it: the facts the JIT may use, or null when
    /// verification is off. Throws <see cref="BpfStaticVerifierException"/> when the verifier rejects the program.</summary>
    public static VerifiedFacts? Check(VmEngine engine, VmCode code, IVmMap[] maps, VmProgramOrigin? origin,
        IReadOnlyDictionary<int, string>? poisoned)
    {
        if (!engine.Options.VerifyBeforeLoad)
            return null;
        var input = InputFor(engine, code, maps, origin);
        var result = StaticVerifier.Verify(input, new VerifierOptions { LogLevel = 1 }, out var facts);
        if (!result.Accepted)
            throw new BpfStaticVerifierException(result, poisoned?.GetValueOrDefault(result.ErrorInstruction));
        return facts;
    }

    private static VerifierInput InputFor(VmEngine engine, VmCode code, IVmMap[] maps, VmProgramOrigin? origin)
    {
        var insns = code.Source;
        var loads = new Dictionary<int, (MapSpec, int?)>();
        var specs = new Dictionary<IVmMap, MapSpec>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i + 1 < insns.Length; i++)
        {
            var insn = insns[i];
            if (!insn.IsWide)
                continue;
            IVmMap? map = insn.Src switch
            {
                PseudoSource.MapFd or PseudoSource.MapValue => engine.MapById(insn.Imm),
                PseudoSource.MapIdx or PseudoSource.MapIdxValue => (uint)insn.Imm < (uint)maps.Length ? maps[insn.Imm] : null,
                _ => null,
            };
            if (map is not null)
            {
                if (!specs.TryGetValue(map, out var spec))
                    specs[map] = spec = SpecOf(map);
                loads[i] = (spec, insn.Src is PseudoSource.MapValue or PseudoSource.MapIdxValue ? insns[i + 1].Imm : null);
            }
            i++;
        }
        return new VerifierInput
        {
            Name = code.Name,
            Instructions = insns,
            Type = code.Type,
            AttachType = origin?.AttachType ?? default,
            GplCompatible = origin?.GplCompatible ?? true,
            MapLoads = loads,
            LineInfos = origin?.LineInfos ?? [],
        };
    }

    /// <summary>The spec a VM map was made from (inner-map template, .rodata contents), or one rebuilt from its shape.</summary>
    private static MapSpec SpecOf(IVmMap map) => map is VmMap own ? own.Spec : new MapSpec
    {
        Name = map.Name,
        Type = map.Type,
        KeySize = map.KeySize,
        ValueSize = map.ValueSize,
        MaxEntries = map.MaxEntries,
        Flags = map.Flags,
    };
}
