namespace SharpBpf.Objects;

/// <summary>
/// An inert description of a map, as an object file declares it. Editable before an engine creates it
/// (rename, resize, change initial contents).
/// </summary>
public sealed class MapSpec
{
    public required string Name { get; set; }
    public BpfMapType Type { get; set; }
    public int KeySize { get; set; }
    public int ValueSize { get; set; }
    public int MaxEntries { get; set; }
    public uint Flags { get; set; }
    /// <summary>LIBBPF_PIN_BY_NAME (1) when the definition asks for pinning.</summary>
    public uint Pinning { get; set; }
    public int NumaNode { get; set; }
    /// <summary>map_extra: the bloom filter's hash count, arena address.</summary>
    public ulong MapExtra { get; set; }

    /// <summary>The template for the inner maps of ARRAY_OF_MAPS/HASH_OF_MAPS.</summary>
    public MapSpec? InnerMap { get; set; }

    /// <summary>For global data maps (.data, .rodata, .bss, .kconfig): the initial value, ValueSize bytes.</summary>
    public byte[]? InitialValue { get; set; }

    /// <summary>The section of a global data map (".data", ".rodata.str1.1", ".bss", ".kconfig"), else null.</summary>
    public string? DataSection { get; set; }

    /// <summary>Declarative initial contents (<c>.values = { [i] = &amp;prog }</c>) for PROG_ARRAY and maps of maps.</summary>
    public List<MapSlotInit> Contents { get; } = [];

    /// <summary>BTF type ids of key and value in the object's BTF, 0 when absent.</summary>
    public uint BtfKeyTypeId { get; set; }
    public uint BtfValueTypeId { get; set; }

    /// <summary>True for .rodata maps: frozen after their contents are written, read-only to programs.</summary>
    public bool IsReadOnlyData => DataSection is not null && (DataSection.StartsWith(".rodata", StringComparison.Ordinal) || DataSection == ".kconfig");

    public bool IsGlobalData => DataSection is not null;

    public MapSpec Clone()
    {
        var copy = (MapSpec)MemberwiseClone();
        copy.InnerMap = InnerMap?.Clone();
        copy.InitialValue = (byte[]?)InitialValue?.Clone();
        return copy;
    }

    public override string ToString() => $"{Name} ({Type}, key {KeySize}, value {ValueSize}, max {MaxEntries})";
}

/// <summary>Slot <see cref="Index"/> of a PROG_ARRAY or map-of-maps initially refers to the program or map named <see cref="Target"/>.</summary>
public sealed record MapSlotInit(int Index, string Target);
