using SharpBpf.Text;

namespace SharpBpf.Cli.Bpftool;

/// <summary>
/// <c>feature list_builtins GROUP</c>: the names this tool knows for program, map, attach and link types and helpers, by
/// value. bpftool prints libbpf's tables; ours are the same tables, so bpftool 7.1's list (libbpf 1.1) is a prefix of ours
/// and the types added to the kernel since follow it.
/// </summary>
public static class FeatureBuiltins
{
    public static readonly IReadOnlyList<string> Groups = ["prog_types", "map_types", "attach_types", "link_types", "helpers"];

    public static IEnumerable<string> Names(string group) => group switch
    {
        "prog_types" => BpfNames.AllProgramTypes,
        "map_types" => BpfNames.AllMapTypes,
        "attach_types" => BpfNames.AllAttachTypes,
        "link_types" => LinkShow.AllLinkTypeNames,
        // bpftool's helper table is "bpf_" and the name of each BPF_FUNC_ value, 0 (unspec) included.
        "helpers" => Enumerable.Range(0, BpfHelperNames.Count).Select(id => BpfHelperNames.Name(id) ?? "bpf_unspec"),
        _ => throw new ArgumentException($"feature list_builtins: unknown group '{group}' (expected {string.Join(", ", Groups)})"),
    };

    public static void Render(TextWriter output, IEnumerable<string> names, OutputFormat format)
    {
        if (format == OutputFormat.Plain)
        {
            foreach (var name in names)
                output.Write(name + "\n");
            return;
        }
        var json = new BpftoolJsonWriter(output, format == OutputFormat.PrettyJson);
        json.StartArray();
        foreach (var name in names)
            json.String(name);
        json.EndArray();
        json.Finish();
    }
}
