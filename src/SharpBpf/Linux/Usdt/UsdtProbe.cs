using System.Buffers.Binary;
using System.Text;

namespace SharpBpf.Linux.Usdt;

/// <summary>
/// One call site of a USDT probe, from a .note.stapsdt note (what `readelf -n` shows), with its addresses already
/// adjusted for .stapsdt.base (prelinked or relocated binaries) as libbpf does.
/// </summary>
/// <param name="Address">the probe's virtual address (the nop at the call site).</param>
/// <param name="FileOffset">where the uprobe goes: <see cref="Address"/> mapped through the executable PT_LOAD segment.</param>
/// <param name="Semaphore">the semaphore's virtual address, 0 when the probe has none.</param>
/// <param name="SemaphoreFileOffset">the semaphore's file offset (the uprobe's ref_ctr_offset), 0 when none.</param>
public sealed record UsdtProbe(string Provider, string Name, ulong Address, ulong FileOffset, ulong Base, ulong Semaphore,
    ulong SemaphoreFileOffset, string ArgumentText)
{
    public string FullName => $"{Provider}:{Name}";

    /// <summary>The parsed arguments; throws <see cref="BpfFormatException"/> for shapes libbpf cannot read either.</summary>
    public IReadOnlyList<UsdtArgument> Arguments => UsdtArgument.ParseAll(ArgumentText, FullName);
}

/// <summary>Reads the USDT probes (SystemTap SDT notes, type 3 "stapsdt") of an executable or shared library.</summary>
public static class UsdtNotes
{
    private const uint NT_STAPSDT = 3;

    /// <summary>Every probe call site of <paramref name="path"/> in note order (none when it has no .note.stapsdt).</summary>
    public static IReadOnlyList<UsdtProbe> Read(string path) => Read(UserElf.Load(path));

    internal static IReadOnlyList<UsdtProbe> Read(UserElf elf)
    {
        var notes = elf.FindSection(".note.stapsdt");
        if (notes is null)
            return [];
        // A prelinked or relocated binary: the notes recorded .stapsdt.base's link-time address.
        var baseSection = elf.FindSection(".stapsdt.base");
        var result = new List<UsdtProbe>();
        var data = elf.Bytes(notes.Value.Offset, notes.Value.Size);
        var at = 0;
        while (at + 12 <= data.Length)
        {
            var nameSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(data[at..]);
            var descSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(data[(at + 4)..]);
            var type = BinaryPrimitives.ReadUInt32LittleEndian(data[(at + 8)..]);
            var nameAt = at + 12;
            var descAt = nameAt + Align4(nameSize);
            var next = descAt + Align4(descSize);
            if (nameSize < 0 || descSize < 0 || descAt + descSize > data.Length)
                throw new BpfFormatException("truncated .note.stapsdt note", notes.Value.Offset + at, elf.File);
            var owner = data.Slice(nameAt, nameSize).TrimEnd((byte)0);
            if (type == NT_STAPSDT && owner.SequenceEqual("stapsdt"u8))
                result.Add(Parse(elf, data.Slice(descAt, descSize), baseSection, notes.Value.Offset + descAt));
            at = next;
        }
        return result;
    }

    private static int Align4(int n) => (n + 3) & ~3;

    private static UsdtProbe Parse(UserElf elf, ReadOnlySpan<byte> desc, UserElf.Section? baseSection, long fileAt)
    {
        if (desc.Length < 24 + 3)
            throw new BpfFormatException("a stapsdt note too short for its three addresses and names", fileAt, elf.File);
        var pc = BinaryPrimitives.ReadUInt64LittleEndian(desc);
        var noteBase = BinaryPrimitives.ReadUInt64LittleEndian(desc[8..]);
        var semaphore = BinaryPrimitives.ReadUInt64LittleEndian(desc[16..]);
        var strings = desc[24..];
        string Next(ref ReadOnlySpan<byte> s)
        {
            var end = s.IndexOf((byte)0);
            if (end < 0)
                throw new BpfFormatException("a stapsdt note's strings are not NUL-terminated", fileAt, elf.File);
            var text = Encoding.UTF8.GetString(s[..end]);
            s = s[(end + 1)..];
            return text;
        }
        var provider = Next(ref strings);
        var name = Next(ref strings);
        var args = strings.Length > 0 ? Next(ref strings) : "";
        if (baseSection is { } b && noteBase != 0)
        {
            var shift = b.Address - noteBase;
            pc += shift;
            if (semaphore != 0)
                semaphore += shift;
        }
        var full = $"{provider}:{name}";
        var fileOffset = elf.FileOffset(pc, executable: true)
            ?? throw new BpfFormatException($"USDT probe {full} at 0x{pc:x} lies in no executable segment", fileAt, elf.File);
        var semaphoreOffset = semaphore == 0 ? 0 : elf.FileOffset(semaphore, executable: false)
            ?? throw new BpfFormatException($"USDT probe {full}: semaphore at 0x{semaphore:x} lies in no loaded segment", fileAt, elf.File);
        return new UsdtProbe(provider, name, pc, fileOffset, noteBase, semaphore, semaphoreOffset, args);
    }
}
