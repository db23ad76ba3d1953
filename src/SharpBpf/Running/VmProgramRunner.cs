using SharpBpf.Linux;
using SharpBpf.Objects;
using SharpBpf.Vm;

namespace SharpBpf.Running;

/// <summary>
/// Runs programs in the embedded VM, as <c>bpftool prog run</c> runs them in the kernel: the object is loaded into a
/// fresh <see cref="VmEngine"/> (no root needed), the program runs once per input, and the engine is freed afterwards.
/// Per-CPU maps have one copy per possible CPU of this machine, and every run happens on <see cref="Cpu"/>,
/// so the result compares with a kernel run pinned to that CPU.
/// </summary>
public sealed class VmProgramRunner : IProgramRunner
{
    public string Engine => "vm";

    /// <summary>The CPU the runs pretend to execute on (0, where <see cref="KernelProgramRunner"/> pins its runs).</summary>
    public int Cpu { get; init; }

    /// <summary>Compile programs to native code (the default where the runtime can); false interprets them.</summary>
    public bool UseJit { get; init; } = new VmOptions().UseJit;

    /// <summary>Where <c>bpf_trace_printk</c> output goes; null discards it.</summary>
    public Action<string>? TraceSink { get; init; }

    public void Run(ProgramRunRequest request, Action<ProgramRunResult> consume)
    {
        ArgumentNullException.ThrowIfNull(consume);
        ArgumentNullException.ThrowIfNull(request);
        if (request.TargetsLoadedProgram)
            throw new BpfException($"'{request.Target}' is a program loaded in the kernel; the VM runs object files (use --engine kernel)");
        var obj = ObjectSpec.Load(request.Target);
        var chosen = request.ChooseProgram(obj);
        // As the kernel runner: programs that do not load by default stay out, unless it is the one asked for.
        obj.Programs.RemoveAll(p => !p.Autoload && !ReferenceEquals(p, chosen));
        int cpus = MachineCpus();
        using var engine = new VmEngine(new VmOptions { CpuCount = Math.Max(cpus, Cpu + 1), CurrentCpu = Cpu, TraceSink = TraceSink, UseJit = UseJit });
        var collection = engine.Load(obj);
        var program = collection.Program(chosen.Name);
        var maps = MapSelection.Before(collection.Maps.Select(m => KeyValuePair.Create(m.Key, (Maps.IBpfMap)m.Value)), request.Maps);
        // One run per packet of a capture: the sequence is timed as a whole (two clock reads, not two per packet) and each
        // run reports the mean, which includes building its results.
        bool timeEach = request.RunInputs.Count == 1 || request.Repeat > 1;
        var runs = new List<ProgramRun>(request.RunInputs.Count);
        long start = RunClock.Nanoseconds();
        foreach (var input in request.RunInputs)
            runs.Add(RunOne(program, input, request, timeEach));
        if (!timeEach)
        {
            ulong mean = VmProgram.MeanNanoseconds(RunClock.Nanoseconds() - start, runs.Count);
            for (int i = 0; i < runs.Count; i++)
                runs[i] = runs[i].Error is null ? runs[i] with { DurationNs = mean } : runs[i];
        }
        consume(new ProgramRunResult(program.Name, runs, maps.After()));
    }

    private static ProgramRun RunOne(VmProgram program, ReadOnlyMemory<byte> input, ProgramRunRequest request, bool timed)
    {
        try
        {
            var result = program.Run(new VmRunInput
            {
                Data = input,
                Context = request.ContextIn is { } ctx ? ctx : (ReadOnlyMemory<byte>?)null, // (a bare null would become an empty ctx_in)
                Repeat = (int)Math.Min(request.Repeat, int.MaxValue),
            }, timed);
            var dataOut = request.DataOutSize is { } max && result.DataOut.Length > max ? result.DataOut[..max] : result.DataOut;
            // As the kernel: ctx out is as large as ctx in unless asked otherwise.
            var ctxOut = result.ContextOut ?? [];
            int ctxMax = request.ContextOutSize ?? request.ContextIn?.Length ?? 0;
            if (ctxOut.Length > ctxMax)
                ctxOut = ctxOut[..ctxMax];
            return new ProgramRun((uint)result.ReturnValue, dataOut, ctxOut, result.DurationNs);
        }
        catch (BpfException e)
        {
            return ProgramRun.Failed(e.Message);
        }
    }

    /// <summary>The possible CPUs of this machine, as the kernel sizes per-CPU values (the processor count off Linux).</summary>
    private static int MachineCpus()
    {
        try
        {
            return OperatingSystem.IsLinux() ? PossibleCpus.Count : Environment.ProcessorCount;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BpfException)
        {
            return Environment.ProcessorCount;
        }
    }
}
