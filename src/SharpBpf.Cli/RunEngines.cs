using SharpBpf.Linux;
using SharpBpf.Cli.Bpftool;
using SharpBpf.Running;
using SharpBpf.Vm;

namespace SharpBpf.Cli;

/// <summary>The engines <c>prog run --engine</c> names, and how a request reaches one of them.</summary>
internal static class RunEngines
{
    public static readonly string[] Names = ["vm", "vm-interpreter", "kernel"];

    /// <summary>Whether <paramref name="target"/> names a program already loaded in the kernel ("id 12", "pinned
    /// /sys/fs/bpf/x", "name N", "tag T") rather than an object file.</summary>
    public static bool IsLoadedProgram(string target)
    {
        var words = target.Split(' ', 2);
        return words.Length == 2 && words[0] is "id" or "pinned" or "name" or "tag" && !File.Exists(target);
    }

    /// <summary>Runs <paramref name="request"/> in the engine named <paramref name="engineName"/> and hands the report to
    /// <paramref name="consume"/> while the maps are still there.</summary>
    public static void Run(string engineName, ProgramRunRequest request, Action<ProgramRunReport> consume)
    {
        if (!Names.Contains(engineName))
            throw new ArgumentException($"unknown engine '{engineName}' (known: {string.Join(", ", Names)})");
        if (IsLoadedProgram(request.Target))
        {
            if (engineName != "kernel")
                throw new BpfException($"'{request.Target}' is a program loaded in the kernel; the VM runs object files (use --engine kernel)");
            var words = request.Target.Split(' ', 2);
            using var fd = new ObjectSelector(words[0], words[1]).OpenOne(BpfObjectKind.Program);
            using var loaded = KernelProgram.FromFd(fd.Duplicate());
            consume(new ProgramRunner(new KernelEngine()).RunLoaded(loaded, request));
            return;
        }
        using IBpfEngine engine = engineName == "kernel" ? new KernelEngine() : new VmEngine(ProgramRunner.VmOptionsForThisMachine() with
        {
            UseJit = engineName == "vm" && new VmOptions().UseJit,
            TraceSink = line => Console.Error.WriteLine(line),
        });
        new ProgramRunner(engine).Run(request, consume);
    }
}
