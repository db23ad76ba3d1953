using System.Buffers.Binary;
using SharpBpf.Btf;
using SharpBpf.Elf;

namespace SharpBpf.Linux;

/// <summary>
/// What libbpf does to an object's BTF before the kernel sees it: clang leaves every DATASEC with size 0 and
/// the kernel refuses that, so each DATASEC gets its ELF section's size and each variable the offset of its symbol.
/// Works on the raw little-endian bytes (the only order a little-endian kernel loads).
/// </summary>
public static class ObjectBtfFixup
{
    /// <param name="rawBtf">The object's .BTF section.</param>
    /// <param name="elf">The object file, for section sizes and symbol offsets.</param>
    /// <param name="parsed">The same bytes already parsed (ObjectSpec.BtfTypes), to save parsing them again.</param>
    /// <param name="externs">The object's externs as laid out in its .kconfig map: the .kconfig DATASEC then describes
    /// that map as libbpf's does (size, offsets, and its variables made allocated globals, which the kernel accepts).</param>
    public static byte[] Fix(ReadOnlySpan<byte> rawBtf, ElfFile elf, BtfSpec? parsed = null, IReadOnlyList<SharpBpf.Objects.ExternSpec>? externs = null)
    {
        var btf = rawBtf.ToArray();
        var spec = parsed ?? BtfSpec.Parse(btf);
        if (spec.BigEndian)
            return btf;
        int hdrLen = (int)BinaryPrimitives.ReadUInt32LittleEndian(btf.AsSpan(4));
        int typeOff = (int)BinaryPrimitives.ReadUInt32LittleEndian(btf.AsSpan(8));
        int typeLen = (int)BinaryPrimitives.ReadUInt32LittleEndian(btf.AsSpan(12));
        int at = hdrLen + typeOff;
        int end = at + typeLen;
        uint id = 1;
        var typeAt = new List<int> { 0 };
        while (at < end)
        {
            uint info = BinaryPrimitives.ReadUInt32LittleEndian(btf.AsSpan(at + 4));
            var kind = (BtfKind)((info >> 24) & 0x1f);
            int vlen = (int)(info & 0xffff);
            typeAt.Add(at);
            if (kind == BtfKind.Func && spec[id] is BtfFunc { Linkage: BtfFuncLinkage.Global } func && IsHiddenFunction(elf, func.Name))
                BinaryPrimitives.WriteUInt32LittleEndian(btf.AsSpan(at + 4), info & ~0xffffu); // linkage static
            if (kind == BtfKind.Datasec && spec[id] is BtfDatasec datasec)
            {
                if (datasec.Name == ".kconfig" && externs is not null)
                    FixKconfig(btf, at, typeAt, datasec, spec, externs);
                else
                    FixDatasec(btf.AsSpan(at), datasec, spec, elf);
            }
            at += 12 + TrailerSize(kind, vlen);
            id++;
        }
        return btf;
    }

    /// <summary>
    /// A global function with STV_HIDDEN or STV_INTERNAL visibility (libbpf's <c>__hidden</c>, as in usdt.bpf.h): libbpf
    /// marks its BTF FUNC static, so the verifier checks it in its caller's context rather than on its own.
    /// </summary>
    private static bool IsHiddenFunction(ElfFile elf, string name)
    {
        var symbols = elf.Symbols;
        if (symbols is null)
            return false;
        for (int s = 1; s < symbols.Count; s++)
        {
            var symbol = symbols[s];
            if (symbol.Type == ElfSymbolType.Func && symbol.IsGlobal && symbols.GetName(s) == name)
                return (symbol.Other & 3) is 1 or 2;
        }
        return false;
    }

    /// <summary>libbpf's extern collection for .kconfig: DATASEC size = end of the last extern, each variable at its
    /// extern's offset with linkage BTF_VAR_GLOBAL_ALLOCATED. VARs precede their DATASEC, so their positions are known.</summary>
    private static void FixKconfig(byte[] btf, int at, List<int> typeAt, BtfDatasec datasec, BtfSpec spec, IReadOnlyList<SharpBpf.Objects.ExternSpec> externs)
    {
        var kconfig = externs.Where(e => e.Kind == SharpBpf.Objects.ExternKind.Kconfig).ToDictionary(e => e.Name, StringComparer.Ordinal);
        if (kconfig.Count == 0)
            return;
        BinaryPrimitives.WriteUInt32LittleEndian(btf.AsSpan(at + 8), (uint)kconfig.Values.Max(e => e.Offset + e.Size));
        for (int j = 0; j < datasec.Vars.Count; j++)
        {
            uint varId = datasec.Vars[j].Type;
            if (spec[varId] is not BtfVar variable || !kconfig.TryGetValue(variable.Name, out var ext))
                continue;
            BinaryPrimitives.WriteUInt32LittleEndian(btf.AsSpan(at + 12 + j * 12 + 4), (uint)ext.Offset);
            if (varId < typeAt.Count)
                BinaryPrimitives.WriteUInt32LittleEndian(btf.AsSpan(typeAt[(int)varId] + 12), (uint)BtfVarLinkage.GlobalAllocated);
        }
        // The kernel wants a DATASEC's variables in offset order (libbpf sorts them too).
        var entries = Enumerable.Range(0, datasec.Vars.Count).Select(j => btf.AsSpan(at + 12 + j * 12, 12).ToArray())
            .OrderBy(e => BinaryPrimitives.ReadUInt32LittleEndian(e.AsSpan(4))).ToList();
        for (int j = 0; j < entries.Count; j++)
            entries[j].CopyTo(btf.AsSpan(at + 12 + j * 12));
    }

    private static void FixDatasec(Span<byte> type, BtfDatasec datasec, BtfSpec spec, ElfFile elf)
    {
        var section = elf.FindSection(datasec.Name);
        if (section is null)
            return; // .kconfig/.ksyms: no ELF section; left as clang wrote it
        if (BinaryPrimitives.ReadUInt32LittleEndian(type[8..]) == 0)
            BinaryPrimitives.WriteUInt32LittleEndian(type[8..], (uint)section.Size);
        var symbols = elf.Symbols;
        if (symbols is null || datasec.Vars.Count == 0)
            return;
        // Each variable takes the offset of the first symbol of that name in the section.
        var offsets = new Dictionary<string, ulong>(StringComparer.Ordinal);
        for (int s = 0; s < symbols.Count; s++)
            if (symbols[s].SectionIndex == section.Index)
                offsets.TryAdd(symbols.GetName(s), symbols[s].Value);
        for (int j = 0; j < datasec.Vars.Count; j++)
        {
            if (spec[datasec.Vars[j].Type] is BtfVar variable && offsets.TryGetValue(variable.Name, out var offset))
                BinaryPrimitives.WriteUInt32LittleEndian(type[(12 + j * 12 + 4)..], (uint)offset);
        }
    }

    private static int TrailerSize(BtfKind kind, int vlen) => kind switch
    {
        BtfKind.Int => 4,
        BtfKind.Array => 12,
        BtfKind.Struct or BtfKind.Union => vlen * 12,
        BtfKind.Enum => vlen * 8,
        BtfKind.FuncProto => vlen * 8,
        BtfKind.Var => 4,
        BtfKind.Datasec => vlen * 12,
        BtfKind.DeclTag => 4,
        BtfKind.Enum64 => vlen * 12,
        _ => 0,
    };
}
