using SharpBpf.Linux;
using SharpBpf.Text;
using System.Text;

namespace SharpBpf.Cli.Bpftool;

/// <summary><c>feature probe kernel</c> in bpftool 7.1's text and JSON shapes.</summary>
public static class FeatureProbeOutput
{
    public static void Render(TextWriter output, FeatureReport report, OutputFormat format)
    {
        if (format == OutputFormat.Plain)
            output.Write(Text(report));
        else
            Json(output, report, format == OutputFormat.PrettyJson);
    }

    private static string Text(FeatureReport r)
    {
        var sb = new StringBuilder();
        sb.Append("Scanning system configuration...\n");
        foreach (var (name, number, text, isSysctl) in r.SystemConfig)
        {
            if (isSysctl)
                sb.Append(SysctlText(name, number ?? -1)).Append('\n');
            else
                sb.Append(text is null ? $"{name} is not set\n" : $"{name} is set to {text}\n");
        }
        sb.Append("\nScanning system call availability...\n");
        sb.Append(r.HaveBpfSyscall ? "bpf() syscall is available\n" : "bpf() syscall is NOT available\n");
        sb.Append("\nScanning eBPF program types...\n");
        foreach (var (type, ok) in r.ProgramTypes)
            sb.Append($"eBPF program_type {BpfNames.ProgramType(type)} is {(ok ? "" : "NOT ")}available\n");
        sb.Append("\nScanning eBPF map types...\n");
        foreach (var (type, ok) in r.MapTypes)
            sb.Append($"eBPF map_type {BpfNames.MapType(type)} is {(ok ? "" : "NOT ")}available\n");
        if (r.Helpers.Count > 0)
        {
            sb.Append("\nScanning eBPF helper functions...\n");
            foreach (var (type, status, helpers) in r.Helpers)
            {
                sb.Append($"eBPF helpers supported for program type {BpfNames.ProgramType(type)}:\n");
                if (status == HelperProbeStatus.ProgramTypeNotSupported)
                    sb.Append("\tProgram type not supported\n");
                else if (status == HelperProbeStatus.CouldNotDetermine)
                    sb.Append("\tCould not determine which helpers are available\n");
                foreach (var helper in helpers)
                    sb.Append("\t- ").Append(helper).Append('\n');
            }
        }
        sb.Append("\nScanning miscellaneous eBPF features...\n");
        sb.Append($"Large program size limit is {Not(r.LargeInsnLimit)}available\n");
        sb.Append($"Bounded loop support is {Not(r.BoundedLoops)}available\n");
        sb.Append($"ISA extension v2 is {Not(r.IsaV2)}available\n");
        sb.Append($"ISA extension v3 is {Not(r.IsaV3)}available\n");
        sb.Append('\n');
        return sb.ToString();
    }

    private static string Not(bool ok) => ok ? "" : "NOT ";

    private static string SysctlText(string name, long v) => name switch
    {
        "unprivileged_bpf_disabled" => v switch
        {
            0 => "bpf() syscall for unprivileged users is enabled",
            1 => "bpf() syscall restricted to privileged users (without recovery)",
            2 => "bpf() syscall restricted to privileged users (admin can change)",
            -1 => "Unable to retrieve required privileges for bpf() syscall",
            _ => $"bpf() syscall restriction has unknown value {v}",
        },
        "bpf_jit_enable" => v switch
        {
            0 => "JIT compiler is disabled",
            1 => "JIT compiler is enabled",
            2 => "JIT compiler is enabled with debugging traces in kernel logs",
            -1 => "Unable to retrieve JIT-compiler status",
            _ => $"JIT-compiler status has unknown value {v}",
        },
        "bpf_jit_harden" => v switch
        {
            0 => "JIT compiler hardening is disabled",
            1 => "JIT compiler hardening is enabled for unprivileged users",
            2 => "JIT compiler hardening is enabled for all users",
            -1 => "Unable to retrieve JIT hardening status",
            _ => $"JIT hardening status has unknown value {v}",
        },
        "bpf_jit_kallsyms" => v switch
        {
            0 => "JIT compiler kallsyms exports are disabled",
            1 => "JIT compiler kallsyms exports are enabled for root",
            -1 => "Unable to retrieve JIT kallsyms export status",
            _ => $"JIT kallsyms exports status has unknown value {v}",
        },
        _ => v == -1 ? "Unable to retrieve global memory limit for JIT compiler for unprivileged users"
            : $"Global memory limit for JIT compiler for unprivileged users is {v} bytes",
    };

    private static void Json(TextWriter output, FeatureReport r, bool pretty)
    {
        var j = new BpftoolJsonWriter(output, pretty);
        j.StartObject();
        j.Name("system_config");
        j.StartObject();
        foreach (var (name, number, text, isSysctl) in r.SystemConfig)
        {
            j.Name(name);
            if (isSysctl) j.Number(number ?? -1);
            else if (text is null) j.Null();
            else j.String(text);
        }
        j.EndObject();
        j.Name("syscall_config");
        j.StartObject();
        j.Field("have_bpf_syscall", r.HaveBpfSyscall);
        j.EndObject();
        j.Name("program_types");
        j.StartObject();
        foreach (var (type, ok) in r.ProgramTypes)
            j.Field($"have_{BpfNames.ProgramType(type).Replace(' ', '_')}_prog_type", ok);
        j.EndObject();
        j.Name("map_types");
        j.StartObject();
        foreach (var (type, ok) in r.MapTypes)
            j.Field($"have_{BpfNames.MapType(type).Replace(' ', '_')}_map_type", ok);
        j.EndObject();
        if (r.Helpers.Count > 0)
        {
            j.Name("helpers");
            j.StartObject();
            foreach (var (type, _, helpers) in r.Helpers)
            {
                j.Name($"{BpfNames.ProgramType(type)}_available_helpers");
                j.StartArray();
                foreach (var helper in helpers)
                    j.String(helper);
                j.EndArray();
            }
            j.EndObject();
        }
        j.Name("misc");
        j.StartObject();
        j.Field("have_large_insn_limit", r.LargeInsnLimit);
        j.Field("have_bounded_loops", r.BoundedLoops);
        j.Field("have_v2_isa_extension", r.IsaV2);
        j.Field("have_v3_isa_extension", r.IsaV3);
        j.EndObject();
        j.EndObject();
        j.Finish();
    }
}
