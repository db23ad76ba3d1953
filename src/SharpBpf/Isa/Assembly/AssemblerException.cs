namespace SharpBpf.Isa.Assembly;

/// <summary>A line of assembly that cannot be assembled: names the line number (1-based) and its text.</summary>
public sealed class AssemblerException : BpfException
{
    public AssemblerException(string message, int line, string text)
        : base(line > 0 ? $"line {line}: {message}: '{text.Trim()}'" : message)
    {
        Line = line;
        Text = text;
    }

    /// <summary>1-based line number in the source, or 0 when the problem is not tied to one line.</summary>
    public int Line { get; }
    public string Text { get; }
}
