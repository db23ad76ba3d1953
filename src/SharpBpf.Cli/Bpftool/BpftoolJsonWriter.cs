using System.Globalization;

namespace SharpBpf.Cli.Bpftool;

/// <summary>
/// A JSON writer that produces exactly bpftool's layout (its json_writer.c): compact with <c>-j</c>; with <c>-p</c>
/// four-space indentation where every member starts a line but array elements do not, and a closing bracket
/// goes on its own line (<c>"map_ids": [1,2,3\n    ],</c>).
/// </summary>
public sealed class BpftoolJsonWriter
{
    private readonly TextWriter _out;
    private readonly bool _pretty;
    private int _depth;
    private char _separator;

    public BpftoolJsonWriter(TextWriter output, bool pretty)
    {
        _out = output;
        _pretty = pretty;
    }

    public bool Pretty => _pretty;

    public void StartObject() => Begin('{');
    public void EndObject() => End('}');
    public void StartArray() => Begin('[');
    public void EndArray() => End(']');

    public void Name(string name)
    {
        EndOfRecord();
        EndOfLine();
        _separator = '\0';
        WriteString(name);
        _out.Write(':');
        if (_pretty)
            _out.Write(' ');
    }

    /// <summary>Writes a raw value (number, true, null, pre-quoted text).</summary>
    public void Raw(string text)
    {
        EndOfRecord();
        _out.Write(text);
    }

    public void String(string value)
    {
        EndOfRecord();
        WriteString(value);
    }

    public void Number(ulong value) => Raw(value.ToString(CultureInfo.InvariantCulture));
    public void Number(long value) => Raw(value.ToString(CultureInfo.InvariantCulture));
    public void Bool(bool value) => Raw(value ? "true" : "false");
    public void Null() => Raw("null");

    public void Field(string name, string value) { Name(name); String(value); }
    public void Field(string name, ulong value) { Name(name); Number(value); }
    public void Field(string name, long value) { Name(name); Number(value); }
    public void Field(string name, bool value) { Name(name); Bool(value); }

    /// <summary>Ends the document: bpftool always ends its output with a newline.</summary>
    public void Finish() => _out.Write('\n');

    private void Begin(char c)
    {
        EndOfRecord();
        _out.Write(c);
        _depth++;
        _separator = '\0';
    }

    private void End(char c)
    {
        _depth--;
        if (_separator != '\0')
            EndOfLine();
        _out.Write(c);
        _separator = ',';
    }

    private void EndOfRecord()
    {
        if (_separator != '\0')
            _out.Write(_separator);
        _separator = ',';
    }

    private void EndOfLine()
    {
        if (!_pretty)
            return;
        _out.Write('\n');
        for (int i = 0; i < _depth; i++)
            _out.Write("    ");
    }

    /// <summary>bpftool's escapes, <c>\'</c> included (its json_writer writes it, though JSON has no such escape).</summary>
    private void WriteString(string s)
    {
        _out.Write('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '\t': _out.Write("\\t"); break;
                case '\n': _out.Write("\\n"); break;
                case '\r': _out.Write("\\r"); break;
                case '\f': _out.Write("\\f"); break;
                case '\b': _out.Write("\\b"); break;
                case '\\': _out.Write("\\n"); break; // bpftool's json_writer writes a backslash as \n (and ' as \'): byte for byte
                case '"': _out.Write("\\\""); break;
                case '\'': _out.Write("\\'"); break;
                default: _out.Write(c); break;
            }
        }
        _out.Write('"');
    }
}
