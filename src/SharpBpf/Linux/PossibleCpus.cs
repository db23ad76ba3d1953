namespace SharpBpf.Linux;

/// <summary>The possible CPUs (/sys/devices/system/cpu/possible): how many value copies a per-CPU map holds.</summary>
public static class PossibleCpus
{
    private static readonly Lazy<int> CountLazy = new(() => Parse(File.ReadAllText("/sys/devices/system/cpu/possible")));

    /// <summary>The number of possible CPUs (highest possible CPU + 1, as the kernel sizes per-CPU values).</summary>
    public static int Count => CountLazy.Value;

    /// <summary>Parses a CPU list such as "0-3,5,7-8" and returns the highest CPU + 1.</summary>
    public static int Parse(string list) => Cpus.ParseList(list, "/sys/devices/system/cpu/possible").Max() + 1;

    /// <summary>Whether values of maps of this type are per-CPU in user space.</summary>
    public static bool IsPerCpu(BpfMapType type) =>
        type is BpfMapType.PercpuHash or BpfMapType.PercpuArray or BpfMapType.LruPercpuHash or BpfMapType.PercpuCgroupStorage;

    /// <summary>Bytes user space exchanges for a value: round8(valueSize) * CPUs for per-CPU maps.</summary>
    public static int UserValueSize(BpfMapType type, int valueSize) =>
        IsPerCpu(type) ? ((valueSize + 7) & ~7) * Count : valueSize;
}
