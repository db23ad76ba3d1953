using SharpBpf.Text;
using System.CommandLine;
using SharpBpf.Linux;
using SharpBpf.Linux.Attach;
using SharpBpf.Cli.Bpftool;
using SharpBpf.Objects;
using SharpBpf.Packets;
using SharpBpf.Running;

namespace SharpBpf.Cli;

/// <summary><c>sharpbpf prog ...</c>: bpftool's program commands (show, dump, run, pin, tracelog; load and attach in <see cref="ProgLoadCommands"/>).</summary>
internal static class ProgCommand
{
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
        prog.Subcommands.Add(VerifyCommand.Create());
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
        prog.Subcommands.Add(TracelogCommand.Create());
        return prog;
    }

    private static Command CreateRun()
    {
        var target = new Argument<string[]>("OBJECT") { Description = "an object file, or a program loaded in the kernel: id N | pinned PATH | name NAME | tag TAG", Arity = new ArgumentArity(1, 2) };
        var program = new Option<string?>("--program") { Description = "the program of the object to run (default: its first)" };
        var dataIn = new Option<string?>("--data-in") { Description = "file with the packet (or - for stdin)" };
        var pcap = new Option<string?>("--pcap") { Description = "pcap/pcapng capture: run once per packet, in order, maps persisting across them" };
        var dataOut = new Option<string?>("--data-out") { Description = "file to write the output packet to (a pcap of them with --pcap; - prints them)" };
        var ctxIn = new Option<string?>("--ctx-in") { Description = "file with the context (e.g. struct xdp_md)" };
        var ctxOut = new Option<string?>("--ctx-out") { Description = "file to write the output context to (- prints it)" };
        var repeat = new Option<uint>("--repeat") { Description = "run N times per input, report the average duration", DefaultValueFactory = _ => 1 };
        var engine = new Option<string?>("--engine") { Description = "where to run: vm (the embedded VM, the default for objects, no root needed), vm-interpreter (the VM without its JIT) or kernel (BPF_PROG_TEST_RUN)" };
        var maps = new Option<string>("--maps")
        {
            Description = "with --json, the maps reported after the runs: changed (the default: those the runs changed), all, or none",
            DefaultValueFactory = _ => "changed",
        };
        var run = new Command("run", "Run a program on a packet (or every packet of a capture) and print its return values (bpftool prog run). " +
            "With --json, an object's run prints {\"runs\":[...],\"maps\":[...]}: every run's retval and data_out, then the maps.")
        {
            target, program, dataIn, pcap, dataOut, ctxIn, ctxOut, repeat, engine, maps,
        };
        run.SetAction(result =>
        {
            if (result.GetValue(BpftoolCli.Trace))
                BpfTrace.Writer = Console.Error;
            var dataInPath = result.GetValue(dataIn);
            var pcapPath = result.GetValue(pcap);
            if (dataInPath is not null && pcapPath is not null)
                throw new ArgumentException("give either --data-in or --pcap, not both");
            var packets = pcapPath is null ? null : ReadEthernetCapture(pcapPath);
            var request = new ProgramRunRequest
            {
                Target = string.Join(' ', result.GetValue(target) ?? []),
                ProgramName = result.GetValue(program),
                Inputs = packets is not null ? packets.Select(p => (ReadOnlyMemory<byte>)p.Data).ToList()
                    : dataInPath is not null ? [BpftoolCli.ReadInput(dataInPath)] : [],
                ContextIn = result.GetValue(ctxIn) is { } c ? BpftoolCli.ReadInput(c) : null,
                Repeat = (int)Math.Clamp(result.GetValue(repeat), 1u, int.MaxValue),
                Maps = BpftoolCli.Format(result) == OutputFormat.Plain ? MapReport.None : ParseMapReport(result.GetValue(maps)!),
            };
            var engineName = result.GetValue(engine) ?? (RunEngines.IsLoadedProgram(request.Target) ? "kernel" : "vm");
            int exitCode = 0;
            RunEngines.Run(engineName, request, outcome => exitCode = Report(outcome, request, result, packets, dataOut, ctxOut));
            return exitCode;
        });
        return run;
    }

    private static MapReport ParseMapReport(string value) => value switch
    {
        "none" => MapReport.None,
        "changed" => MapReport.Changed,
        "all" => MapReport.All,
        _ => throw new ArgumentException($"--maps takes none, changed or all (got '{value}')"),
    };

    /// <summary>
    /// Prints what the runs gave. The --json document of an object streams its maps and holds an {"error"} element for each
    /// refused input (exit 0: the other inputs ran); text lists the runs that ran and names each refused one on stderr (exit 1).
    /// </summary>
    private static int Report(ProgramRunReport outcome, ProgramRunRequest request, ParseResult result, List<CapturedPacket>? packets,
        Option<string?> dataOut, Option<string?> ctxOut)
    {
        var format = BpftoolCli.Format(result);
        var failed = outcome.Runs.Select((r, i) => (r.Error, Index: i)).Where(r => r.Error is not null).ToList();
        bool document = format != OutputFormat.Plain && !RunEngines.IsLoadedProgram(request.Target);
        if (outcome.Runs.Count == 1 && failed.Count == 1 && !document)
            throw new BpfException(failed[0].Error!);
        var dataOutPath = result.GetValue(dataOut);
        var ctxOutPath = result.GetValue(ctxOut);
        WriteOutputs(dataOutPath, ctxOutPath, outcome, packets);
        using var stdout = Console.OpenStandardOutput();
        if (document)
        {
            ProgramRunOutput.RenderDocument(stdout, outcome, format == OutputFormat.PrettyJson, withContext: request.ContextIn is not null);
            return 0;
        }
        using (var writer = new StreamWriter(stdout) { NewLine = "\n" })
        {
            foreach (var one in outcome.Runs)
            {
                if (one.Error is null)
                    ProgramRunOutput.Render(writer, one, request.Repeat, format, dataOutPath == "-", ctxOutPath == "-");
            }
        }
        foreach (var (error, index) in failed)
            Console.Error.WriteLine($"sharpbpf: {(outcome.Runs.Count > 1 ? $"packet {index + 1}: " : "")}{error}");
        return failed.Count == 0 ? 0 : 1;
    }

    /// <summary>The packets of a capture, which must hold Ethernet frames (what XDP and tc programs see).</summary>
    private static List<CapturedPacket> ReadEthernetCapture(string path)
    {
        var packets = PcapReader.Read(path).ToList();
        if (packets.Count == 0)
            throw new ArgumentException($"{path} holds no packets");
        if (packets.FirstOrDefault(p => p.LinkType != LinkTypes.Ethernet) is { } other)
            throw new ArgumentException($"{path} holds link type {other.LinkType} packets; prog run needs Ethernet frames (LINKTYPE_ETHERNET, 1)");
        return packets;
    }

    /// <summary>--data-out/--ctx-out files: the one run's bytes, or with --pcap a capture of the output packets.</summary>
    private static void WriteOutputs(string? dataOutPath, string? ctxOutPath, ProgramRunReport outcome, List<CapturedPacket>? packets)
    {
        if (dataOutPath is not null && dataOutPath != "-")
        {
            if (packets is null)
            {
                File.WriteAllBytes(dataOutPath, outcome.Runs[0].DataOut);
            }
            else
            {
                using var writer = new PcapWriter(File.Create(dataOutPath), LinkTypes.Ethernet);
                for (int i = 0; i < outcome.Runs.Count; i++)
                {
                    if (outcome.Runs[i].Error is null)
                        writer.Write(outcome.Runs[i].DataOut, packets[i].Timestamp);
                }
            }
        }
        if (ctxOutPath is not null && ctxOutPath != "-")
            File.WriteAllBytes(ctxOutPath, outcome.Runs[^1].ContextOut);
    }
}
