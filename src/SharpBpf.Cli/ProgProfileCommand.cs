using System.CommandLine;
using SharpBpf.Cli.Bpftool;
using SharpBpf.Isa;
using SharpBpf.Linux;

namespace SharpBpf.Cli;

/// <summary>
/// <c>sharpbpf prog profile PROG [duration D] METRICs</c>. bpftool counts the metrics from fentry/fexit programs attached to
/// PROG; those load only where the kernel allows tracing programs. This checks the grammar and the program, then whether
/// the kernel takes an fentry program on PROG, and says plainly where it does not.
/// </summary>
internal static class ProgProfileCommand
{
    private static readonly string[] Metrics = ["cycles", "instructions", "l1d_loads", "llc_misses", "itlb_misses", "dtlb_misses"];

    public static Command AddTo(Command prog)
    {
        prog.Subcommands.Add(BpftoolCli.Keywords("profile", "Count hardware events for each run of a program (through fentry/fexit).",
            "PROG [duration DURATION] METRICs\n  METRIC := { " + string.Join(" | ", Metrics) + " }", (result, args, output) =>
        {
            var selector = ObjectSelector.Parse(args, allowTag: true) ?? throw new ArgumentException("prog profile: expected PROG");
            var metrics = new List<string>();
            while (!args.AtEnd)
            {
                if (args.TryKeyword("duration"))
                {
                    args.TakeId("duration");
                    continue;
                }
                var metric = args.Take("METRIC");
                if (!Metrics.Contains(metric))
                    throw new ArgumentException($"prog profile: unknown metric '{metric}' (expected {string.Join(", ", Metrics)})");
                metrics.Add(metric);
            }
            if (metrics.Count == 0)
                throw new ArgumentException($"prog profile: expected at least one METRIC ({string.Join(", ", Metrics)})");
            using var program = selector.OpenOne(BpfObjectKind.Program);
            var info = KernelObjectInfo.GetProgramInfo(program, KernelObjectInfo.ProgramParts.FuncInfo);
            if (info.BtfId == 0 || info.FuncInfo is not { Length: >= 8 } funcInfo)
                throw new BpfException($"prog profile: program {info.Id} has no BTF; fentry/fexit can attach only to programs loaded with BTF");
            ProbeFentry(program, BitConverter.ToUInt32(funcInfo, 4), info.Id);
            throw new BpfException("prog profile: this kernel allows fentry on the program, but sharpbpf does not count the metrics yet");
        }));
        return prog;
    }

    /// <summary>Loads (and drops) an empty fentry program on the target's main function: the kernel's answer decides.</summary>
    private static void ProbeFentry(BpfFd target, uint funcTypeId, uint id)
    {
        try
        {
            using var probe = KernelProgram.Load(new ProgramLoadOptions
            {
                Type = BpfProgramType.Tracing,
                ExpectedAttachType = BpfAttachType.TraceFentry,
                Instructions = new Isa.Assembly.ProgramBuilder().Mov64(Register.R0, 0).Exit().Build(),
                AttachProgramFd = target,
                AttachBtfId = funcTypeId,
                Name = "fentry_probe",
                LogLevelOnFailure = 0,
            });
        }
        catch (BpfSyscallException e)
        {
            throw new BpfException($"prog profile: the kernel refuses the fentry program that profiling program {id} needs ({e.Message})", e);
        }
    }
}
