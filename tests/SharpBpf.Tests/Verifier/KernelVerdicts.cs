using SharpBpf.Isa;
using SharpBpf.Linux;
using SharpBpf.Objects;

namespace SharpBpf.Tests.Verifier;

/// <summary>The kernel's verifier as the oracle: loads raw instructions (maps created once, by name) and says yes or no.</summary>
public sealed class KernelVerdicts : IDisposable
{
    private readonly Dictionary<(BpfProgramType, string), KernelMap> _maps = [];
    private readonly IReadOnlyList<MapSpec> _specs;

    public KernelVerdicts(IReadOnlyList<MapSpec> maps) => _specs = maps;

    /// <summary>Maps per program type: a prog array belongs to the first program type that tail-calls through it.</summary>
    private KernelMap Map(BpfProgramType type, string name)
    {
        if (!_maps.TryGetValue((type, name), out var map))
        {
            var copy = _specs.Single(m => m.Name == name).Clone();
            copy.Name = "i14_" + name;
            _maps[(type, name)] = map = KernelMap.Create(copy);
        }
        return map;
    }

    /// <summary>Null when the kernel accepts the program, else the last line of its verifier log (or the load error).</summary>
    public string? Verdict(BpfProgramType type, Instruction[] instructions, IReadOnlyList<SharpBpf.Isa.Assembly.MapLoad> loads, out string? log)
    {
        var insns = (Instruction[])instructions.Clone();
        foreach (var load in loads)
            insns[load.InstructionIndex] = insns[load.InstructionIndex]
                .WithSrc(PseudoSource.MapFd).WithImm((int)Map(type, load.MapName).Fd.DangerousGetHandle());
        log = null;
        try
        {
            using var program = KernelProgram.Load(new ProgramLoadOptions { Type = type, Instructions = insns, Name = "i14_verify" });
            return null;
        }
        catch (BpfVerifierException e)
        {
            log = e.VerifierLog;
            return e.VerifierLog.TrimEnd('\n', '\0').Split('\n')
                .LastOrDefault(l => l.Length > 0 && !l.StartsWith("processed ", StringComparison.Ordinal)) ?? "";
        }
        catch (BpfSyscallException e)
        {
            return e.Message.Split('\n')[0];
        }
    }

    public void Dispose()
    {
        foreach (var map in _maps.Values)
            map.Dispose();
    }
}
