using System.CommandLine;
using SharpBpf.Linux;
using SharpBpf.Linux.Bpftool;
using SharpBpf.Objects;
using SharpBpf.Running;

namespace SharpBpf.Cli;

/// <summary><c>sharpbpf prog ...</c>: bpftool's program commands (show, dump, run, loadall, pin).</summary>
internal static class ProgCommand
{
    /// <summary>Runners by engine name; the VM engine registers itself here.</summary>
    public static readonly Dictionary<string, Func<IProgramRunner>> Runners = new(StringComparer.Ordinal)
    {
        ["kernel"] = () => new KernelProgramRunner(),
    };

    public static Command Create()
    {
        var prog = new Command("prog", "Inspect and manipulate BPF programs (bpftool prog).").WithCommonOptions();
        var stats = new Option<bool>("--stats") { Description = "enable BPF run-time statistics (BPF_ENABLE_STATS) and show run_time_ns/run_cnt" };
        var show = BpftoolCli.Keywords("show", "Show loaded programs.", "[id ID | pinned FILE | name NAME | tag TAG]", (result, args, output) =>
        {
            using var statsFd = result.GetValue(stats) ? BpfSyscall.EnableRunTimeStats() : null;
            var selector = ObjectSelector.Parse(args, allowTag: true);
            args.ExpectEnd();
            var pins = result.GetValue(BpftoolCli.BpfFs) ? PinnedObjects.Scan(BpfObjectKind.Program) : null;
            var format = BpftoolCli.Format(result);
            if (selector is null)
            {
                ProgramShow.Render(output, ProgramShow.All(pins), format, asArray: true, showStats: statsFd is not null);
                return;
            }
            var fds = selector.Open(BpfObjectKind.Program);
            try
            {
                var entries = fds.Select(fd => ProgramShow.Describe(fd, pins)).ToList();
                ProgramShow.Render(output, entries, format, asArray: entries.Count > 1, showStats: statsFd is not null);
            }
            finally
            {
                fds.ForEach(fd => fd.Dispose());
            }
        }, "list");
        show.Options.Add(stats);
        prog.Subcommands.Add(show);
        var dump = new Command("dump", "Dump a program's instructions: xlated (after the verifier) or jited (machine code).");
        dump.Subcommands.Add(BpftoolCli.Keywords("xlated", "Dump the translated instructions.", "PROG [opcodes] [linum]", (result, args, output) =>
        {
            var selector = ObjectSelector.Parse(args, allowTag: true) ?? throw new ArgumentException("expected PROG");
            bool opcodes = false, linum = false;
            while (!args.AtEnd)
            {
                var word = args.Take("option");
                if (word == "opcodes") opcodes = true;
                else if (word == "linum") linum = true;
                else if (word == "visual") throw new ArgumentException("prog dump xlated: 'visual' is not supported");
                else throw new ArgumentException($"prog dump xlated: unknown argument '{word}'");
            }
            using var fd = selector.OpenOne(BpfObjectKind.Program);
            XlatedDump.Render(output, fd, BpftoolCli.Format(result), opcodes, linum);
        }));
        dump.Subcommands.Add(BpftoolCli.Keywords("jited", "Disassemble the JIT image (x86-64).", "PROG [opcodes] [linum]", (result, args, output) =>
        {
            var selector = ObjectSelector.Parse(args, allowTag: true) ?? throw new ArgumentException("expected PROG");
            bool opcodes = false, linum = false;
            while (!args.AtEnd)
            {
                var word = args.Take("option");
                if (word == "opcodes") opcodes = true;
                else if (word == "linum") linum = true;
                else throw new ArgumentException($"prog dump jited: unknown argument '{word}'");
            }
            using var fd = selector.OpenOne(BpfObjectKind.Program);
            JitedDump.Render(output, fd, BpftoolCli.Format(result), opcodes, linum);
        }));
        prog.Subcommands.Add(dump);
        prog.Subcommands.Add(CreateRun());
        prog.Subcommands.Add(BpftoolCli.Keywords("loadall", "Load every program of an object and pin them (and optionally its maps).", "OBJECT PINDIR [pinmaps MAPDIR]", (result, args, output) =>
        {
            var path = args.Take("OBJECT");
            var pinDir = args.Take("PINDIR");
            string? mapDir = args.TryKeyword("pinmaps") ? args.Take("MAPDIR") : null;
            args.ExpectEnd();
            using var collection = KernelEngine.Load(ObjectSpec.Load(path));
            Directory.CreateDirectory(pinDir);
            BpfFs.RequireBpfFsFor(Path.Combine(pinDir, "x"));
            foreach (var (name, program) in collection.Programs)
                program.Pin(Path.Combine(pinDir, name));
            if (mapDir is not null)
            {
                Directory.CreateDirectory(mapDir);
                collection.PinMaps(mapDir);
            }
            if (BpftoolCli.Format(result) != OutputFormat.Plain)
                output.Write("null\n");
        }));
        prog.Subcommands.Add(BpftoolCli.Keywords("pin", "Pin a program at a path in a bpf filesystem.", "PROG FILE", (result, args, output) =>
        {
            var selector = ObjectSelector.Parse(args, allowTag: true) ?? throw new ArgumentException("expected PROG");
            var path = args.Take("FILE");
            args.ExpectEnd();
            using var fd = selector.OpenOne(BpfObjectKind.Program);
            BpfFs.RequireBpfFsFor(path);
            BpfSyscall.Pin(fd, path);
            if (BpftoolCli.Format(result) != OutputFormat.Plain)
                output.Write("null\n");
        }));
        return prog;
    }

    private static Command CreateRun()
    {
        var target = new Argument<string[]>("OBJECT") { Description = "an object file, or a loaded program: id N | pinned PATH | name NAME", Arity = new ArgumentArity(1, 2) };
        var program = new Option<string?>("--program") { Description = "the program of the object to run (default: its first)" };
        var dataIn = new Option<string?>("--data-in") { Description = "file with the packet (or - for stdin)" };
        var dataOut = new Option<string?>("--data-out") { Description = "file to write the output packet to (- prints it)" };
        var ctxIn = new Option<string?>("--ctx-in") { Description = "file with the context (e.g. struct xdp_md)" };
        var ctxOut = new Option<string?>("--ctx-out") { Description = "file to write the output context to (- prints it)" };
        var repeat = new Option<uint>("--repeat") { Description = "run N times, report the average duration", DefaultValueFactory = _ => 1 };
        var engine = new Option<string>("--engine") { Description = "where to run: kernel (BPF_PROG_TEST_RUN) or vm", DefaultValueFactory = _ => "kernel" };
        var run = new Command("run", "Run a program once on a packet and/or context and print its return value (bpftool prog run).")
        {
            target, program, dataIn, dataOut, ctxIn, ctxOut, repeat, engine,
        };
        run.SetAction(result =>
        {
            if (result.GetValue(BpftoolCli.Trace))
                BpfTrace.Writer = Console.Error;
            var engineName = result.GetValue(engine) ?? "kernel";
            if (!Runners.TryGetValue(engineName, out var factory))
                throw new ArgumentException($"unknown engine '{engineName}' (known: {string.Join(", ", Runners.Keys)})");
            var request = new ProgramRunRequest
            {
                Target = string.Join(' ', result.GetValue(target) ?? []),
                ProgramName = result.GetValue(program),
                DataIn = result.GetValue(dataIn) is { } d ? BpftoolCli.ReadInput(d) : [],
                ContextIn = result.GetValue(ctxIn) is { } c ? BpftoolCli.ReadInput(c) : null,
                Repeat = Math.Max(1u, result.GetValue(repeat)),
            };
            var outcome = factory().Run(request);
            var dataOutPath = result.GetValue(dataOut);
            var ctxOutPath = result.GetValue(ctxOut);
            if (dataOutPath is not null && dataOutPath != "-")
                File.WriteAllBytes(dataOutPath, outcome.DataOut);
            if (ctxOutPath is not null && ctxOutPath != "-")
                File.WriteAllBytes(ctxOutPath, outcome.ContextOut);
            using var stdout = Console.OpenStandardOutput();
            using var writer = new StreamWriter(stdout) { NewLine = "\n" };
            ProgramRunOutput.Render(writer, outcome, request.Repeat, BpftoolCli.Format(result), dataOutPath == "-", ctxOutPath == "-");
            return 0;
        });
        return run;
    }
}
