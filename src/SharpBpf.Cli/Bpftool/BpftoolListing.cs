using SharpBpf.Linux;
using SharpBpf.Text;

namespace SharpBpf.Cli.Bpftool;

/// <summary>What every bpftool "show" listing shares: finding the objects and printing them plain or as JSON.</summary>
internal static class BpftoolListing
{
    /// <summary>Describes every object of <paramref name="kind"/> in id order, skipping those that vanish while listed.</summary>
    public static List<T> DescribeAll<T>(BpfObjectKind kind, Func<BpfFd, T> describe)
    {
        var entries = new List<T>();
        foreach (var id in BpfSyscall.Ids(kind))
        {
            using var fd = BpfSyscall.TryGetFdById(kind, id);
            if (fd is not null)
                entries.Add(describe(fd));
        }
        return entries;
    }

    /// <param name="asArray">JSON: a root array (a listing) or a single object (one object selected).</param>
    public static void Render<T>(TextWriter output, IReadOnlyList<T> entries, OutputFormat format, bool asArray,
        Action<TextWriter, T> plain, Action<BpftoolJsonWriter, T> json)
    {
        if (format == OutputFormat.Plain)
        {
            foreach (var e in entries)
                plain(output, e);
            return;
        }
        var writer = new BpftoolJsonWriter(output, format == OutputFormat.PrettyJson);
        if (asArray)
            writer.StartArray();
        foreach (var e in entries)
            json(writer, e);
        if (asArray)
            writer.EndArray();
        writer.Finish();
    }
}
