using System.Runtime.CompilerServices;
using System.Globalization;

namespace SharpBpf.Btf;

/// <summary>
/// Writes JSON exactly as bpftool's json_writer does: compact for <c>-j</c>, and for <c>-p</c> four-space
/// indentation with array elements glued to the bracket (<c>[{</c>, <c>},{</c>) and the closing bracket on its own line.
/// </summary>
internal sealed class BpftoolJsonWriter(TextWriter output, bool pretty)
{
    private int _depth;
    private char _sep;

    public void StartObject() => Begin('{');
    public void EndObject() => End('}');
    public void StartArray() => Begin('[');
    public void EndArray() => End(']');

    public void Name(string name)
    {
        EndOfRecord();
        EndOfLine();
        _sep = '\0';
        Quoted(name);
        output.Write(pretty ? ": " : ":");
    }

    public void String(string name, string value)
    {
        Name(name);
        EndOfRecord();
        Quoted(value);
    }

    public void UInt(string name, ulong value)
    {
        Name(name);
        EndOfRecord();
        output.Write(value.ToString(CultureInfo.InvariantCulture));
    }

    public void Int(string name, long value)
    {
        Name(name);
        EndOfRecord();
        output.Write(value.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Ends the document (bpftool prints a final newline).</summary>
    public void Finish() => output.Write('\n');

    private void Begin(char c)
    {
        EndOfRecord();
        output.Write(c);
        _depth++;
        _sep = '\0';
    }

    private void End(char c)
    {
        _depth--;
        if (_sep != '\0')
            EndOfLine();
        output.Write(c);
        _sep = ',';
    }

    private void EndOfRecord()
    {
        if (_sep != '\0')
            output.Write(_sep);
        _sep = ',';
    }

    private void EndOfLine()
    {
        if (!pretty)
            return;
        output.Write('\n');
        for (var i = 0; i < _depth; i++)
            output.Write("    ");
    }

    /// <summary>
    /// bpftool's escapes, except that bpftool 7.1 writes a backslash as <c>\n</c> (a json_writer typo); we write
    /// <c>\\</c>. Names in real BTF are C identifiers, so the outputs only differ on hand-made BTF.
    /// </summary>
    private void Quoted(string s)
    {
        output.Write('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '\t': output.Write("\\t"); break;
                case '\n': output.Write("\\n"); break;
                case '\r': output.Write("\\r"); break;
                case '\f': output.Write("\\f"); break;
                case '\b': output.Write("\\b"); break;
                case '\\': output.Write("\\\\"); break;
                case '"': output.Write("\\\""); break;
                default: output.Write(c); break;
            }
        }
        output.Write('"');
    }
}
