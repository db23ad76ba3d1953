using SharpBpf.Linux.Bpftool;
using SharpBpf.Objects;
using SharpBpf.Running;

namespace SharpBpf.Linux;

/// <summary>
/// Runs programs in the kernel with BPF_PROG_TEST_RUN: an object file is loaded (maps and all) for the run and
/// released after it; "id N", "pinned PATH" or "name NAME" runs a program already in the kernel.
/// </summary>
public sealed class KernelProgramRunner : IProgramRunner
{
    public string Engine => "kernel";

    public ProgramRunResult Run(ProgramRunRequest request)
    {
        var words = request.Target.Split(' ', 2);
        if (words.Length == 2 && words[0] is "id" or "pinned" or "name" or "tag" && !File.Exists(request.Target))
        {
            using var fd = new ObjectSelector(words[0], words[1]).OpenOne(BpfObjectKind.Program);
            using var loaded = KernelProgram.FromFd(fd.Duplicate());
            return RunOne(loaded, request);
        }
        var obj = ObjectSpec.Load(request.Target);
        var chosen = request.ProgramName is null
            ? obj.Programs.FirstOrDefault(p => p.Autoload) ?? throw new BpfException($"{request.Target} has no program to run")
            : obj.FindProgram(request.ProgramName) ?? throw new BpfException(
                $"{request.Target} has no program '{request.ProgramName}' (it has: {string.Join(", ", obj.Programs.Select(p => p.Name))})");
        using var collection = KernelEngine.Load(obj, new KernelEngineOptions { ShouldLoad = p => p.Autoload || ReferenceEquals(p, chosen) });
        return RunOne(collection.Programs[chosen.Name], request);
    }

    private static ProgramRunResult RunOne(KernelProgram program, ProgramRunRequest request)
    {
        var result = program.TestRun(new TestRunOptions
        {
            DataIn = request.DataIn,
            ContextIn = request.ContextIn ?? default,
            Repeat = request.Repeat,
            DataOutSize = request.DataOutSize,
            ContextOutSize = request.ContextOutSize,
        });
        return new ProgramRunResult(program.Name, result.ReturnValue, result.DataOut, result.ContextOut, result.DurationNs);
    }
}
