using System.Buffers.Binary;
using System.Text;

namespace SharpBpf.Linux.Usdt;

/// <summary>
/// The parts of a 64-bit little-endian user-space ELF (executable or shared library) that probing needs: its type,
/// section headers by name, and the PT_LOAD segments that map virtual addresses to file offsets.
/// </summary>
internal sealed class UserElf
{
    private const uint PT_LOAD = 1, PF_X = 1;
    public const ushort ET_EXEC = 2, ET_DYN = 3;

    public readonly record struct Section(string Name, uint Type, ulong Address, long Offset, long Size);

    public readonly record struct Segment(ulong Vaddr, ulong Offset, ulong Size, bool Executable);

    private readonly byte[] _d;

    public UserElf(byte[] data, string file)
    {
        _d = data;
        File = file;
        if (data.Length < 64 || !data.AsSpan(0, 4).SequenceEqual("\u007fELF"u8))
            throw new BpfFormatException("not an ELF file", 0, file);
        if (data[4] != 2)
            throw new BpfFormatException("only 64-bit ELF binaries can be probed", 4, file);
        if (data[5] != 1)
            throw new BpfFormatException("only little-endian ELF binaries can be probed on this host", 5, file);
        Type = U16(16);
        Sections = ReadSections();
        Segments = ReadSegments();
    }

    public static UserElf Load(string path)
    {
        try
        {
            return new UserElf(System.IO.File.ReadAllBytes(path), path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BpfHookSpecException($"cannot read {path}: {e.Message}");
        }
    }

    public string File { get; }
    public ushort Type { get; }
    public bool IsSharedObject => Type == ET_DYN;
    public IReadOnlyList<Section> Sections { get; }
    public IReadOnlyList<Segment> Segments { get; }

    public Section? FindSection(string name) => Sections.Cast<Section?>().FirstOrDefault(s => s!.Value.Name == name);

    public ReadOnlySpan<byte> Bytes(long offset, long size) =>
        offset >= 0 && size >= 0 && offset + size <= _d.Length ? _d.AsSpan((int)offset, (int)size) : throw Bad(offset);

    /// <summary>The file offset of <paramref name="vaddr"/>, from the PT_LOAD segment holding it (executable ones when asked).</summary>
    public ulong? FileOffset(ulong vaddr, bool executable)
    {
        foreach (var s in Segments)
            if ((!executable || s.Executable) && vaddr >= s.Vaddr && vaddr < s.Vaddr + s.Size)
                return vaddr - s.Vaddr + s.Offset;
        return null;
    }

    private ulong U64(long at) => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(at, 8));
    private uint U32(long at) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(at, 4));
    private ushort U16(long at) => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(at, 2));
    private BpfFormatException Bad(long at) => new("truncated ELF structure", at, File);

    private List<Section> ReadSections()
    {
        var shoff = (long)U64(40);
        var entsize = U16(58);
        var count = U16(60);
        var names = U16(62);
        if (shoff == 0 || count == 0)
            return [];
        var raw = new List<(uint Name, uint Type, ulong Addr, long Off, long Size)>();
        for (var i = 0; i < count; i++)
        {
            var at = shoff + (long)i * entsize;
            raw.Add((U32(at), U32(at + 4), U64(at + 16), (long)U64(at + 24), (long)U64(at + 32)));
        }
        if (names >= raw.Count)
            throw new BpfFormatException($"section name table index {names} is out of range", 62, File);
        var strtab = raw[names];
        string Name(uint index)
        {
            if (index >= strtab.Size)
                return "";
            var span = Bytes(strtab.Off + index, strtab.Size - index);
            var end = span.IndexOf((byte)0);
            return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
        }
        return [.. raw.Select(r => new Section(Name(r.Name), r.Type, r.Addr, r.Off, r.Size))];
    }

    private List<Segment> ReadSegments()
    {
        var phoff = (long)U64(32);
        var entsize = U16(54);
        var count = U16(56);
        var result = new List<Segment>();
        for (var i = 0; i < count; i++)
        {
            var at = phoff + (long)i * entsize;
            if (U32(at) == PT_LOAD)
                result.Add(new Segment(U64(at + 16), U64(at + 8), U64(at + 40), (U32(at + 4) & PF_X) != 0));
        }
        return result;
    }
}
