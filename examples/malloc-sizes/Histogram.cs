using System.Text;

namespace MallocSizes;

/// <summary>Prints a log2 histogram the way bpftrace's hist() does: [lo, hi) ranges with K/M/G suffixes and @ bars.</summary>
internal static class Histogram
{
    /// <summary>Renders <paramref name="counts"/> (bucket 0: value 0; bucket k: [2^(k-1), 2^k)) from the first to the last non-empty bucket.</summary>
    public static string Render(IReadOnlyList<ulong> counts, int width = 52)
    {
        int first = -1, last = -1;
        for (int i = 0; i < counts.Count; i++)
            if (counts[i] != 0)
            {
                if (first < 0) first = i;
                last = i;
            }
        if (first < 0)
            return "(no calls)\n";
        ulong max = counts.Max();
        var text = new StringBuilder();
        for (int i = first; i <= last; i++)
        {
            string range = i switch
            {
                0 => "[0]",
                1 => "[1]",
                _ => $"[{Size(1UL << (i - 1))}, {Size(i >= 64 ? 0 : 1UL << i, i >= 64)})",
            };
            int bar = (int)(counts[i] * (ulong)width / max);
            text.Append($"{range,-20}{counts[i],8} |{new string('@', bar),-52}|\n");
        }
        return text.ToString();
    }

    private static string Size(ulong value, bool overflow = false)
    {
        if (overflow)
            return "16E";
        string[] suffixes = ["", "K", "M", "G", "T", "P", "E"];
        int s = 0;
        while (value >= 1024 && value % 1024 == 0 && s < suffixes.Length - 1)
        {
            value /= 1024;
            s++;
        }
        return value + suffixes[s];
    }
}
