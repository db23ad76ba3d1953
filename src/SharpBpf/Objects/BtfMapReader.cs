using SharpBpf.Elf;

namespace SharpBpf.Objects;

/// <summary>Reads BTF-defined maps (the <c>.maps</c> section). Placeholder until the BTF parser is merged:
/// records each map symbol so relocations resolve; types come from BTF.</summary>
internal static class BtfMapReader
{
    public static void Read(ElfFile elf, ObjectSpec obj, Dictionary<(int, ulong), MapSpec> defined)
    {
        var section = elf.FindSection(".maps");
        var symbols = elf.Symbols;
        if (section is null || symbols is null)
            return;
        for (int i = 1; i < symbols.Count; i++)
        {
            var sym = symbols[i];
            if (sym.SectionIndex != section.Index || sym.Type == ElfSymbolType.Section)
                continue;
            var map = new MapSpec { Name = symbols.GetName(i) };
            obj.Maps.Add(map);
            defined[(section.Index, sym.Value)] = map;
        }
    }

    public static ExternKind ExternKindOf(ObjectSpec obj, string name) =>
        name.StartsWith("CONFIG_", StringComparison.Ordinal) || name.StartsWith("LINUX_", StringComparison.Ordinal) ? ExternKind.Kconfig : ExternKind.Ksym;
}
