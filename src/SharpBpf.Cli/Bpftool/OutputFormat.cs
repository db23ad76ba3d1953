namespace SharpBpf.Cli.Bpftool;

/// <summary>How bpftool prints: plain text, compact JSON (-j) or pretty JSON (-p).</summary>
public enum OutputFormat
{
    Plain,
    Json,
    PrettyJson,
}
