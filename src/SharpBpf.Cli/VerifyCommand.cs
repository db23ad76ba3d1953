using SharpBpf.Text;
using System.CommandLine;
using System.Text.Json;
using SharpBpf.Linux;
using SharpBpf.Cli.Bpftool;
using SharpBpf.Objects;
using SharpBpf.Verifier;

namespace SharpBpf.Cli;

/// <summary><c>sharpbpf prog verify OBJ [--program P] [--log-level 1|2] [--json] [--engine static|kernel]</c>.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("OBJECT") { Description = "a BPF ELF object" };
        var program = new Option<string?>("--program") { Description = "the program to verify (default: every program of the object)" };
        var level = new Option<int>("--log-level") { Description = "1: the failing path (default); 2: every instruction with its registers", DefaultValueFactory = _ => 1 };
        var engine = new Option<string?>("--engine") { Description = "static (the default, no root needed) or kernel (load it and print the kernel's verdict and log; root)" };
        var command = new Command("verify", "Check whether programs are safe to load, as the kernel's verifier would, and explain why not " +
            "(its messages, the failing path, the C source line and a hint). Exits 0 when every program verifies.")
        {
            file, program, level, engine,
        };
        command.SetAction(result =>
        {
            var path = result.GetValue(file)!;
            var obj = ObjectSpec.Load(path);
            var name = result.GetValue(program);
            var programs = name is null ? obj.Programs
                : [obj.FindProgram(name) ?? throw new BpfException($"{path} has no program '{name}' (it has: {string.Join(", ", obj.Programs.Select(p => p.Name))})")];
            int logLevel = result.GetValue(level);
            if (logLevel is not (1 or 2))
                throw new ArgumentException("--log-level is 1 or 2");
            var engineName = result.GetValue(engine) ?? "static";
            var verdicts = engineName switch
            {
                "static" => programs.Select(p => Verdict.Of(StaticVerifier.Verify(obj, p, new VerifierOptions { LogLevel = logLevel }))).ToList(),
                "kernel" => programs.Select(p => KernelVerdict(obj, p, (uint)logLevel)).ToList(),
                _ => throw new ArgumentException($"unknown engine '{engineName}' (known: static, kernel)"),
            };
            if (BpftoolCli.Format(result) == OutputFormat.Plain)
                WriteText(verdicts);
            else
                WriteJson(verdicts, BpftoolCli.Format(result) == OutputFormat.PrettyJson);
            return verdicts.All(v => v.Accepted) ? 0 : 1;
        });
        return command;
    }

    private sealed record Verdict(string Program, bool Accepted, string? Error, string? Source, string? Hint, string Log, int? Processed, double? Microseconds)
    {
        public static Verdict Of(VerificationResult r) => new(r.Program, r.Accepted, r.Error, r.SourceLine, r.Hint, r.Log,
            r.ProcessedInstructions, r.Elapsed.TotalMicroseconds);
    }

    /// <summary>Loads one program into the kernel (its maps created for the purpose) and reports what the kernel's verifier said.</summary>
    private static Verdict KernelVerdict(ObjectSpec obj, ProgramSpec program, uint logLevel)
    {
        // Each program is loaded alone: prog-array and map-in-map slots naming other programs are left empty.
        foreach (var map in obj.Maps)
            map.Contents.Clear();
        try
        {
            using var loaded = new KernelEngine(new KernelEngineOptions
            {
                ShouldLoad = p => p == program,
                LogLevel = logLevel | 4, // BPF_LOG_STATS: the counts and the verification time
                LogLevelOnFailure = logLevel,
            }).Load(obj);
            var log = loaded.Programs[program.Name].VerifierLog ?? "";
            return new Verdict(program.Name, true, null, null, null, log, KernelLogStats.Processed(log), KernelLogStats.Microseconds(log));
        }
        catch (BpfVerifierException e)
        {
            var lines = e.VerifierLog.TrimEnd('\n', '\0').Split('\n');
            var error = lines.LastOrDefault(l => l.Length > 0 && !l.StartsWith("processed ", StringComparison.Ordinal)
                && !l.StartsWith("verification time", StringComparison.Ordinal) && !l.StartsWith("stack depth", StringComparison.Ordinal));
            return new Verdict(program.Name, false, error, e.SourceContext, null, e.VerifierLog.TrimEnd('\0'), KernelLogStats.Processed(e.VerifierLog), null);
        }
        catch (BpfException e)
        {
            // Refused before or outside the verifier (map creation, attach target, permissions): no log to show.
            return new Verdict(program.Name, false, e.Message.Split('\n')[0], null, null, "", null, null);
        }
    }

    private static void WriteText(List<Verdict> verdicts)
    {
        foreach (var v in verdicts)
        {
            if (verdicts.Count > 1)
                Console.Out.Write($"{v.Program}: ");
            Console.Out.WriteLine(v.Accepted ? "verified" : $"rejected: {v.Error}");
            if (!v.Accepted && v.Source is not null)
                Console.Out.WriteLine($"at {v.Source}");
            if (!v.Accepted || v.Log.Contains('\n'))
                Console.Out.Write(v.Accepted ? v.Log : "\n" + v.Log);
        }
    }

    private static void WriteJson(List<Verdict> verdicts, bool pretty)
    {
        using var stdout = Console.OpenStandardOutput();
        using var json = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = pretty });
        json.WriteStartArray();
        foreach (var v in verdicts)
        {
            json.WriteStartObject();
            json.WriteString("program", v.Program);
            json.WriteBoolean("verified", v.Accepted);
            json.WriteString("error", v.Error);
            json.WriteString("source", v.Source);
            json.WriteString("hint", v.Hint);
            if (v.Processed is { } n) json.WriteNumber("processed_insns", n); else json.WriteNull("processed_insns");
            if (v.Microseconds is { } us) json.WriteNumber("verification_time_usec", Math.Round(us, 1)); else json.WriteNull("verification_time_usec");
            json.WriteString("log", v.Log);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.Flush();
        stdout.WriteByte((byte)'\n');
    }
}

/// <summary>The counts the kernel's verifier log ends with.</summary>
internal static class KernelLogStats
{
    public static int? Processed(string log) =>
        System.Text.RegularExpressions.Regex.Match(log, @"processed (\d+) insns") is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;

    public static double? Microseconds(string log) =>
        System.Text.RegularExpressions.Regex.Match(log, @"verification time (\d+) usec") is { Success: true } m ? double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
}
