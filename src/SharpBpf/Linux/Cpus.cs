namespace SharpBpf.Linux;

/// <summary>The CPUs the kernel lists in /sys/devices/system/cpu ("0-3,5"): the one parser of its CPU lists.</summary>
public static class Cpus
{
    /// <summary>The online CPUs, ascending.</summary>
    public static IReadOnlyList<int> Online() => ParseList(File.ReadAllText("/sys/devices/system/cpu/online"), "/sys/devices/system/cpu/online");

    /// <summary>Parses a kernel CPU list such as "0-3,5,7-8".</summary>
    public static IReadOnlyList<int> ParseList(string text, string? file = null)
    {
        var result = new List<int>();
        foreach (var part in text.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var dash = part.IndexOf('-');
            if (!int.TryParse(dash < 0 ? part : part[..dash], out var from) || !int.TryParse(dash < 0 ? part : part[(dash + 1)..], out var to) || from < 0 || to < from)
                throw new BpfFormatException($"cannot parse CPU list '{text.Trim()}'", file: file);
            for (var cpu = from; cpu <= to; cpu++)
                result.Add(cpu);
        }
        if (result.Count == 0)
            throw new BpfFormatException("empty CPU list", file: file);
        return result;
    }
}
