using System.Globalization;

namespace SharpBpf.Examples;

/// <summary>A minimal `--name value` parser for the examples (they keep their focus on BPF, not on argument parsing).</summary>
public sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    /// <summary>Words that are not options, in order.</summary>
    public List<string> Positional { get; } = [];

    /// <summary>Everything after a bare `--` (a command to run), or empty.</summary>
    public string[] Command { get; private set; } = [];

    /// <summary>Parses <paramref name="args"/>; every option in <paramref name="known"/> takes one value.</summary>
    public static Options Parse(string[] args, params string[] known)
    {
        var result = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--")
            {
                result.Command = args[(i + 1)..];
                break;
            }
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                if (!known.Contains(args[i]))
                    throw new ArgumentException($"unknown option {args[i]} (known: {string.Join(", ", known)})");
                if (i + 1 >= args.Length)
                    throw new ArgumentException($"{args[i]} needs a value");
                result._values[args[i]] = args[++i];
            }
            else
                result.Positional.Add(args[i]);
        }
        return result;
    }

    public string? Get(string name) => _values.GetValueOrDefault(name);

    public double Number(string name, double fallback) =>
        _values.TryGetValue(name, out var v)
            ? double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0 ? d
                : throw new ArgumentException($"{name}: '{v}' is not a non-negative number")
            : fallback;

    public int Integer(string name, int fallback) =>
        _values.TryGetValue(name, out var v)
            ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0 ? n
                : throw new ArgumentException($"{name}: '{v}' is not a non-negative integer")
            : fallback;
}
