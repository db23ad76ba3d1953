using System.Text;

namespace SharpBpf.Skeletons;

/// <summary>C names to C# identifiers: PascalCase, keywords escaped, unique within a scope.</summary>
public static class CSharpNames
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
        "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
        "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock",
        "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
        "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string",
        "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort",
        "using", "virtual", "void", "volatile", "while",
    };

    /// <summary>"rx_bytes" → "RxBytes", "XDP_PASS" → "XdpPass", "rxBytes" → "RxBytes"; "" or "__" → <paramref name="fallback"/>.</summary>
    public static string Pascal(string name, string fallback = "Unnamed")
    {
        var sb = new StringBuilder(name.Length);
        foreach (var part in name.Split(['_', '.', '-', ' ', '$'], StringSplitOptions.RemoveEmptyEntries))
        {
            var clean = new string(part.Where(char.IsAsciiLetterOrDigit).ToArray());
            if (clean.Length == 0)
                continue;
            bool allUpper = clean.All(c => !char.IsAsciiLetterLower(c));
            sb.Append(char.ToUpperInvariant(clean[0]));
            sb.Append(allUpper ? clean[1..].ToLowerInvariant() : clean[1..]);
        }
        if (sb.Length == 0)
            return fallback;
        if (char.IsAsciiDigit(sb[0]))
            sb.Insert(0, '_');
        return sb.ToString();
    }

    /// <summary>An identifier as C# source: keywords get '@'.</summary>
    public static string Escape(string identifier) => Keywords.Contains(identifier) ? "@" + identifier : identifier;

    /// <summary>True for a valid (possibly dotted) C# namespace or type name.</summary>
    public static bool IsValidQualifiedName(string name) =>
        name.Length > 0 && name.Split('.').All(part => part.Length > 0 && !Keywords.Contains(part)
            && (char.IsAsciiLetter(part[0]) || part[0] == '_') && part.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'));
}

/// <summary>Hands out identifiers unique within one C# scope (a type's members, or a class's nested types).</summary>
internal sealed class NameScope
{
    private readonly HashSet<string> _used;

    public NameScope(IEnumerable<string>? reserved = null) => _used = new HashSet<string>(reserved ?? [], StringComparer.Ordinal);

    /// <summary><paramref name="name"/>, or name2, name3… when taken; reserves the result.</summary>
    public string Unique(string name)
    {
        var candidate = name;
        for (int i = 2; !_used.Add(candidate); i++)
            candidate = name + i;
        return candidate;
    }

    public void Reserve(string name) => _used.Add(name);

    public bool IsTaken(string name) => _used.Contains(name);
}
