namespace SharpBpf.Linux.Events;

/// <summary>The CPUs the kernel lists in /sys/devices/system/cpu/online ("0-3,5").</summary>
public static class Cpus
{
    public static IReadOnlyList<int> Online() => ParseList(File.ReadAllText("/sys/devices/system/cpu/online"));

    public static IReadOnlyList<int> Possible() => ParseList(File.ReadAllText("/sys/devices/system/cpu/possible"));

    /// <summary>Parses a kernel CPU list such as "0-3,5,7-8".</summary>
    public static IReadOnlyList<int> ParseList(string text)
    {
        var result = new List<int>();
        foreach (var part in text.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var dash = part.IndexOf('-');
            if (!int.TryParse(dash < 0 ? part : part[..dash], out var from) || !int.TryParse(dash < 0 ? part : part[(dash + 1)..], out var to) || to < from)
                throw new BpfFormatException($"'{text.Trim()}' is not a CPU list");
            for (var cpu = from; cpu <= to; cpu++)
                result.Add(cpu);
        }
        return result;
    }
}
