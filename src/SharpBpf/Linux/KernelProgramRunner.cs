using SharpBpf.Maps;
using SharpBpf.Objects;
using SharpBpf.Running;

namespace SharpBpf.Linux;

/// <summary>
/// Runs programs in the kernel with BPF_PROG_TEST_RUN: an object file is loaded (maps and all) for the runs, its maps read
/// after the last one, and everything released; "id N", "pinned PATH", "name NAME" or "tag TAG" runs a program already in
/// the kernel (no maps reported). The runs happen on CPU <see cref="Cpu"/> (the thread is pinned there when the machine
/// allows it) so per-CPU maps compare with the VM's.
/// </summary>
public sealed class KernelProgramRunner : IProgramRunner
{
    public string Engine => "kernel";

    /// <summary>The CPU the calling thread is pinned to during the runs.</summary>
    public int Cpu { get; init; }

    public void Run(ProgramRunRequest request, Action<ProgramRunResult> consume)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(consume);
        if (request.TargetsLoadedProgram)
        {
            var words = request.Target.Split(' ', 2);
            using var fd = LoadedObjects.OpenOne(BpfObjectKind.Program, words[0], words[1]);
            using var loaded = KernelProgram.FromFd(fd.Duplicate());
            consume(new ProgramRunResult(loaded.Name, RunAll(loaded, request), []));
            return;
        }
        var obj = ObjectSpec.Load(request.Target);
        var chosen = request.ChooseProgram(obj);
        // Only the program that runs and those its tail calls may reach: another program's load failure (an fentry's
        // EPERM, say) has nothing to do with this run.
        var tailCallTargets = obj.Maps.Where(m => m.Type == BpfMapType.ProgArray).SelectMany(m => m.Contents).Select(s => s.Target).ToHashSet(StringComparer.Ordinal);
        using var collection = KernelEngine.Load(obj, new KernelEngineOptions { ShouldLoad = p => ReferenceEquals(p, chosen) || tailCallTargets.Contains(p.Name) });
        var maps = MapSelection.Before(collection.Maps.Select(m => KeyValuePair.Create(m.Key, (IBpfMap)m.Value)), request.Maps);
        var runs = RunAll(collection.Programs[chosen.Name], request);
        consume(new ProgramRunResult(chosen.Name, runs, maps.After()));
    }

    private List<ProgramRun> RunAll(KernelProgram program, ProgramRunRequest request)
    {
        using var pinned = CpuAffinity.TryPin(Cpu);
        return request.RunInputs.Select(input => RunOne(program, input, request)).ToList();
    }

    private static ProgramRun RunOne(KernelProgram program, ReadOnlyMemory<byte> input, ProgramRunRequest request)
    {
        try
        {
            var result = program.TestRun(new TestRunOptions
            {
                DataIn = input,
                ContextIn = request.ContextIn ?? default,
                Repeat = request.Repeat,
                DataOutSize = request.DataOutSize,
                ContextOutSize = request.ContextOutSize,
            });
            return new ProgramRun(result.ReturnValue, result.DataOut, result.ContextOut, result.DurationNs);
        }
        catch (BpfSyscallException e)
        {
            return ProgramRun.Failed(e.Message);
        }
    }
}
