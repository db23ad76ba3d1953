using System.Globalization;

namespace SlabAges;

/// <summary>Names kernel addresses as "function+0xoffset" from /proc/kallsyms (root sees the real addresses).</summary>
internal sealed class KernelAddresses
{
    private readonly ulong[] _starts;
    private readonly string[] _names;

    private KernelAddresses(ulong[] starts, string[] names) => (_starts, _names) = (starts, names);

    public static KernelAddresses Load(string path = "/proc/kallsyms")
    {
        var symbols = new List<(ulong Address, string Name)>();
        foreach (var line in File.ReadLines(path))
        {
            var parts = line.Split(' ', 4, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 3 && parts[1] is "T" or "t" or "W" or "w"
                && ulong.TryParse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var address) && address != 0)
                symbols.Add((address, parts[2]));
        }
        symbols.Sort((a, b) => a.Address.CompareTo(b.Address));
        return new([.. symbols.Select(s => s.Address)], [.. symbols.Select(s => s.Name)]);
    }

    public string Name(ulong address)
    {
        int i = Array.BinarySearch(_starts, address);
        if (i < 0)
            i = ~i - 1;
        return i < 0 ? $"0x{address:x}" : $"{_names[i]}+0x{address - _starts[i]:x}";
    }
}
