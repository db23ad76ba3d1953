using System.Globalization;

namespace SharpBpf.Linux;

/// <summary>/proc/kallsyms by address: helper functions (at __bpf_call_base + imm) and JITed programs (bpf_prog_TAG_name).</summary>
public sealed class KernelSymbols
{
    private static readonly Lazy<KernelSymbols> Instance = new(() => new KernelSymbols());
    private readonly Dictionary<ulong, string> _byAddress = new();

    private KernelSymbols()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/kallsyms"))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length < 3 || !ulong.TryParse(parts[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var address))
                    continue;
                var name = parts[2].Split('\t')[0];
                if (name == "__bpf_call_base")
                    CallBase = address;
                _byAddress.TryAdd(address, name);
            }
        }
        catch (IOException)
        {
        }
    }

    public static KernelSymbols Current => Instance.Value;

    /// <summary>The address BPF helper call immediates are relative to; 0 when kallsyms hides it (non-root).</summary>
    public ulong CallBase { get; }

    public string? NameAt(ulong address) => address != 0 && _byAddress.TryGetValue(address, out var name) ? name : null;
}
