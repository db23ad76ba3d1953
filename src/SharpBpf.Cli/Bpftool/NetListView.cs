using SharpBpf.Linux.Netlink;
using SharpBpf.Text;

namespace SharpBpf.Cli.Bpftool;

/// <summary>`net list` as bpftool 7.1 prints it.</summary>
public static class NetListView
{
    /// <summary>Writes the listing as bpftool 7.1 does (plain, -j or -p); tcx entries, which 7.1 does not know, follow the tc filters.</summary>
    public static void Render(this NetListing listing, TextWriter output, OutputFormat format)
    {
        if (format == OutputFormat.Plain)
        {
            output.Write("xdp:\n");
            foreach (var x in listing.Xdp)
                output.Write($"{x.Interface}({x.Ifindex}) {x.Mode} id {x.ProgramId}\n");
            output.Write("\ntc:\n");
            foreach (var t in listing.Tc)
                output.Write($"{t.Interface}({t.Ifindex}) {t.Mode}{(t.Name is null ? "" : " " + t.Name)} id {t.ProgramId}\n");
            output.Write("\nflow_dissector:\n");
            if (listing.FlowDissectorProgramId is { } fd)
                output.Write($"id {fd}");
            output.Write('\n');
            return;
        }
        var j = new BpftoolJsonWriter(output, format == OutputFormat.PrettyJson);
        j.StartArray();
        j.StartObject();
        j.Name("xdp");
        j.StartArray();
        foreach (var x in listing.Xdp)
        {
            j.StartObject();
            j.Field("devname", x.Interface);
            j.Field("ifindex", (ulong)x.Ifindex);
            j.Field("mode", x.Mode);
            j.Field("id", x.ProgramId);
            j.EndObject();
        }
        j.EndArray();
        j.Name("tc");
        j.StartArray();
        foreach (var t in listing.Tc)
        {
            j.StartObject();
            j.Field("devname", t.Interface);
            j.Field("ifindex", (ulong)t.Ifindex);
            j.Field("kind", t.Mode);
            if (t.Name is not null)
                j.Field("name", t.Name);
            j.Field("id", t.ProgramId);
            j.EndObject();
        }
        j.EndArray();
        j.Name("flow_dissector");
        j.StartArray();
        if (listing.FlowDissectorProgramId is { } id)
        {
            j.StartObject();
            j.Field("id", id);
            j.EndObject();
        }
        j.EndArray();
        j.EndObject();
        j.EndArray();
        j.Finish();
    }
}
