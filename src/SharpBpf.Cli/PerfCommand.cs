using SharpBpf.Cli.Bpftool;
using System.CommandLine;
using SharpBpf.Linux.Attach;
using SharpBpf.Text;

namespace SharpBpf.Cli;

/// <summary><c>sharpbpf perf list</c>: programs attached through perf events and raw tracepoints, per process (bpftool perf).</summary>
internal static class PerfCommand
{
    public static Command Create()
    {
        var perf = new Command("perf", "Show programs attached through perf events: tracepoints, kprobes, uprobes (bpftool perf).").WithCommonOptions();
        perf.Subcommands.Add(BpftoolCli.Keywords("show", "List every process's perf-event and raw-tracepoint attachments.", "", (result, args, output) =>
        {
            args.ExpectEnd();
            Render(output, PerfAttachments.All(), BpftoolCli.Format(result));
        }, "list"));
        return perf;
    }

    private static readonly Dictionary<PerfAttachmentKind, string> KindNames = new()
    {
        [PerfAttachmentKind.RawTracepoint] = "raw_tracepoint",
        [PerfAttachmentKind.Tracepoint] = "tracepoint",
        [PerfAttachmentKind.Kprobe] = "kprobe",
        [PerfAttachmentKind.Kretprobe] = "kretprobe",
        [PerfAttachmentKind.Uprobe] = "uprobe",
        [PerfAttachmentKind.Uretprobe] = "uretprobe",
    };

    /// <summary>bpftool 7.1's shapes: a kernel probe by function name shows func and offset, one by address its addr.</summary>
    private static void Render(TextWriter output, IReadOnlyList<PerfAttachment> attachments, OutputFormat format)
    {
        if (format == OutputFormat.Plain)
        {
            foreach (var a in attachments)
            {
                var kind = KindNames.GetValueOrDefault(a.Kind);
                var where = a.Kind switch
                {
                    PerfAttachmentKind.RawTracepoint or PerfAttachmentKind.Tracepoint => $"{kind}  {a.Name}",
                    PerfAttachmentKind.Kprobe or PerfAttachmentKind.Kretprobe => a.Name.Length > 0
                        ? $"{kind}  func {a.Name}  offset {a.ProbeOffset}" : $"{kind}  addr {a.ProbeAddress}",
                    PerfAttachmentKind.Uprobe or PerfAttachmentKind.Uretprobe => $"{kind}  filename {a.Name}  offset {a.ProbeOffset}",
                    _ => "unknown",
                };
                output.Write($"pid {a.Pid}  fd {a.Fd}: prog_id {a.ProgramId}  {where}\n");
            }
            return;
        }
        var json = new BpftoolJsonWriter(output, format == OutputFormat.PrettyJson);
        json.StartArray();
        foreach (var a in attachments)
        {
            json.StartObject();
            json.Field("pid", (long)a.Pid);
            json.Field("fd", (long)a.Fd);
            json.Field("prog_id", a.ProgramId);
            if (KindNames.TryGetValue(a.Kind, out var kind))
                json.Field("fd_type", kind);
            switch (a.Kind)
            {
                case PerfAttachmentKind.RawTracepoint or PerfAttachmentKind.Tracepoint:
                    json.Field("tracepoint", a.Name);
                    break;
                case PerfAttachmentKind.Kprobe or PerfAttachmentKind.Kretprobe when a.Name.Length > 0:
                    json.Field("func", a.Name);
                    json.Field("offset", a.ProbeOffset);
                    break;
                case PerfAttachmentKind.Kprobe or PerfAttachmentKind.Kretprobe:
                    json.Field("addr", a.ProbeAddress);
                    break;
                case PerfAttachmentKind.Uprobe or PerfAttachmentKind.Uretprobe:
                    json.Field("filename", a.Name);
                    json.Field("offset", a.ProbeOffset);
                    break;
            }
            json.EndObject();
        }
        json.EndArray();
        json.Finish();
    }
}
