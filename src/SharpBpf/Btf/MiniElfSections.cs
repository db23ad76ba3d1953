using System.Buffers.Binary;
using System.Text;

namespace SharpBpf.Btf;

/// <summary>
/// Just enough ELF64 to find a section's bytes by name (both byte orders). Temporary: the Elf layer's
/// reader replaces this once it is merged.
/// </summary>
internal static class MiniElfSections
{
    public static bool IsElf(ReadOnlySpan<byte> data) =>
        data.Length >= 4 && data[0] == 0x7f && data[1] == (byte)'E' && data[2] == (byte)'L' && data[3] == (byte)'F';

    /// <summary>The contents of section <paramref name="name"/>, or null when there is none.</summary>
    public static ReadOnlyMemory<byte>? Find(ReadOnlyMemory<byte> file, string name)
    {
        var d = file.Span;
        if (d.Length < 64 || !IsElf(d))
            throw new BpfFormatException("not an ELF file", 0);
        if (d[4] != 2)
            throw new BpfFormatException($"ELF class {d[4]} is not ELF64", 4);
        var be = d[5] switch
        {
            1 => false,
            2 => true,
            _ => throw new BpfFormatException($"ELF data encoding {d[5]} is neither little nor big endian", 5),
        };
        var mem = file;
        ulong U64(int at) => be ? BinaryPrimitives.ReadUInt64BigEndian(mem.Span[at..]) : BinaryPrimitives.ReadUInt64LittleEndian(mem.Span[at..]);
        uint U32(int at) => be ? BinaryPrimitives.ReadUInt32BigEndian(mem.Span[at..]) : BinaryPrimitives.ReadUInt32LittleEndian(mem.Span[at..]);
        ushort U16(int at) => be ? BinaryPrimitives.ReadUInt16BigEndian(mem.Span[at..]) : BinaryPrimitives.ReadUInt16LittleEndian(mem.Span[at..]);

        var shoff = U64(0x28);
        var shentsize = U16(0x3a);
        var shnum = U16(0x3c);
        var shstrndx = U16(0x3e);
        if (shentsize < 64 || shstrndx >= shnum || shoff + (ulong)shnum * shentsize > (ulong)d.Length)
            throw new BpfFormatException("ELF section header table is out of bounds or malformed", 0x28);

        (ulong Offset, ulong Size, uint Type) Section(int i)
        {
            var at = (int)shoff + i * shentsize;
            return (U64(at + 0x18), U64(at + 0x20), U32(at + 4));
        }

        var names = Section(shstrndx);
        if (names.Offset + names.Size > (ulong)d.Length)
            throw new BpfFormatException("ELF section name table is out of bounds", (long)shoff + shstrndx * shentsize);
        var nameTable = d.Slice((int)names.Offset, (int)names.Size);
        var wanted = Encoding.ASCII.GetBytes(name);
        for (var i = 1; i < shnum; i++)
        {
            var at = (int)shoff + i * shentsize;
            var nameOff = U32(at);
            if (nameOff >= nameTable.Length)
                continue;
            var rest = nameTable[(int)nameOff..];
            var end = rest.IndexOf((byte)0);
            if (end < 0 || !rest[..end].SequenceEqual(wanted))
                continue;
            var s = Section(i);
            if (s.Type == 8) // SHT_NOBITS
                return ReadOnlyMemory<byte>.Empty;
            if (s.Offset + s.Size > (ulong)d.Length)
                throw new BpfFormatException($"ELF section {name} ({s.Size} bytes at 0x{s.Offset:x}) runs past the end of the file", at);
            return file.Slice((int)s.Offset, (int)s.Size);
        }
        return null;
    }
}
