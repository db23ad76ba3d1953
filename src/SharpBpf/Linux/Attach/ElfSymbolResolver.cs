using System.Buffers.Binary;
using System.Text;

namespace SharpBpf.Linux.Attach;

/// <summary>
/// Finds where a function of an ELF64 executable or shared library lives in the FILE, which is what uprobes take:
/// the symbol's virtual address from .symtab/.dynsym, mapped to a file offset through the PT_LOAD program headers.
/// Understands versioned names ("malloc@@GLIBC_2.2.5", "memcpy@GLIBC_2.2.5") through .gnu.version/.gnu.version_d.
/// </summary>
public static class ElfSymbolResolver
{
    private const uint SHT_SYMTAB = 2, SHT_DYNSYM = 11, SHT_GNU_VERDEF = 0x6ffffffd, SHT_GNU_VERSYM = 0x6fffffff;
    private const uint PT_LOAD = 1;
    private const byte STT_FUNC = 2, STT_GNU_IFUNC = 10;

    /// <summary>The file offset of <paramref name="symbol"/> in <paramref name="path"/> (plus <paramref name="extra"/> bytes).</summary>
    public static ulong FileOffset(string path, string symbol, ulong extra = 0)
    {
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new BpfHookSpecException($"cannot read {path} to resolve '{symbol}': {e.Message}");
        }
        return FileOffset(data, symbol, path) + extra;
    }

    /// <summary>Resolves <paramref name="symbol"/> in an ELF image held in memory.</summary>
    public static ulong FileOffset(ReadOnlySpan<byte> elf, string symbol, string file = "<memory>")
    {
        var (name, version, wantDefault) = SplitVersion(symbol);
        var reader = new Reader(elf, file);
        ulong? found = null;
        var foundIsDefault = false;
        foreach (var sym in reader.FunctionSymbols())
        {
            if (sym.Name != name)
                continue;
            if (version is not null && sym.Version != version)
                continue;
            if (version is not null && wantDefault && !sym.IsDefaultVersion)
                continue;
            if (found is not null && found != sym.Value)
            {
                // Several versions of one name: an unversioned request means the default ("@@") one.
                if (foundIsDefault == sym.IsDefaultVersion)
                    throw new BpfHookSpecException($"{file}: '{symbol}' is ambiguous (several definitions); name a version such as {name}@@{sym.Version ?? "VER"}");
                if (!sym.IsDefaultVersion)
                    continue;
            }
            found = sym.Value;
            foundIsDefault = sym.IsDefaultVersion;
        }
        if (found is null)
            throw new BpfHookSpecException($"{file}: no function symbol '{symbol}' in .symtab or .dynsym");
        return reader.VaddrToOffset(found.Value, symbol);
    }

    private static (string Name, string? Version, bool Default) SplitVersion(string symbol)
    {
        var at = symbol.IndexOf('@');
        if (at < 0)
            return (symbol, null, false);
        var isDefault = at + 1 < symbol.Length && symbol[at + 1] == '@';
        var version = symbol[(at + (isDefault ? 2 : 1))..];
        if (at == 0 || version.Length == 0)
            throw new BpfHookSpecException($"'{symbol}' is not a symbol name (expected name, name@VERSION or name@@VERSION)");
        return (symbol[..at], version, isDefault);
    }

    private readonly record struct Symbol(string Name, ulong Value, string? Version, bool IsDefaultVersion);

    private readonly ref struct Reader
    {
        private readonly ReadOnlySpan<byte> _d;
        private readonly string _file;

        public Reader(ReadOnlySpan<byte> data, string file)
        {
            _d = data;
            _file = file;
            if (data.Length < 64 || !data[..4].SequenceEqual("\u007fELF"u8))
                throw new BpfFormatException("not an ELF file", 0, file);
            if (data[4] != 2)
                throw new BpfFormatException("only 64-bit ELF binaries can be probed", 4, file);
            if (data[5] != 1)
                throw new BpfFormatException("only little-endian ELF binaries can be probed on this host", 5, file);
        }

        private ulong U64(long at) => at + 8 <= _d.Length && at >= 0 ? BinaryPrimitives.ReadUInt64LittleEndian(_d[(int)at..]) : throw Bad(at);
        private uint U32(long at) => at + 4 <= _d.Length && at >= 0 ? BinaryPrimitives.ReadUInt32LittleEndian(_d[(int)at..]) : throw Bad(at);
        private ushort U16(long at) => at + 2 <= _d.Length && at >= 0 ? BinaryPrimitives.ReadUInt16LittleEndian(_d[(int)at..]) : throw Bad(at);
        private BpfFormatException Bad(long at) => new("truncated ELF structure", at, _file);

        private string Str(long tableOffset, long tableSize, uint index)
        {
            if (index >= tableSize)
                throw new BpfFormatException($"string index {index} outside its table", tableOffset, _file);
            var start = (int)(tableOffset + index);
            var span = _d[start..(int)Math.Min(_d.Length, tableOffset + tableSize)];
            var end = span.IndexOf((byte)0);
            return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
        }

        private (uint Type, long Offset, long Size, uint Link, long EntSize) Section(int i)
        {
            var shoff = (long)U64(40);
            var entsize = U16(58);
            var at = shoff + (long)i * entsize;
            return (U32(at + 4), (long)U64(at + 24), (long)U64(at + 32), U32(at + 40), (long)U64(at + 56));
        }

        private int SectionCount => U16(60);

        public List<Symbol> FunctionSymbols()
        {
            var result = new List<Symbol>();
            // Version index → name, from .gnu.version_d (definitions only: we resolve symbols a binary defines).
            var versionNames = new Dictionary<int, string>();
            long versymOffset = -1;
            for (var i = 0; i < SectionCount; i++)
            {
                var s = Section(i);
                if (s.Type == SHT_GNU_VERSYM)
                    versymOffset = s.Offset;
                else if (s.Type == SHT_GNU_VERDEF)
                {
                    var strtab = Section((int)s.Link);
                    long at = s.Offset;
                    for (var n = 0; n < 4096; n++)
                    {
                        var index = U16(at + 4);
                        var aux = U32(at + 12);
                        var next = U32(at + 16);
                        versionNames[index] = Str(strtab.Offset, strtab.Size, U32(at + aux));
                        if (next == 0)
                            break;
                        at += next;
                    }
                }
            }
            for (var i = 0; i < SectionCount; i++)
            {
                var s = Section(i);
                if (s.Type != SHT_SYMTAB && s.Type != SHT_DYNSYM)
                    continue;
                if (s.EntSize != 24)
                    throw new BpfFormatException($"symbol table entries of {s.EntSize} bytes (expected 24)", s.Offset, _file);
                var strtab = Section((int)s.Link);
                var count = s.Size / 24;
                for (long k = 1; k < count; k++)
                {
                    var at = s.Offset + k * 24;
                    var info = _d[(int)at + 4];
                    var type = (byte)(info & 0xf);
                    var shndx = U16(at + 6);
                    if ((type != STT_FUNC && type != STT_GNU_IFUNC) || shndx == 0)
                        continue;
                    var name = Str(strtab.Offset, strtab.Size, U32(at));
                    string? version = null;
                    var isDefault = true;
                    if (s.Type == SHT_DYNSYM && versymOffset >= 0)
                    {
                        var vs = U16(versymOffset + k * 2);
                        isDefault = (vs & 0x8000) == 0;
                        versionNames.TryGetValue(vs & 0x7fff, out version);
                    }
                    // A .symtab entry may spell its version in the name ("foo@VER" / "foo@@VER").
                    var at2 = name.IndexOf('@');
                    if (at2 > 0)
                    {
                        isDefault = name.AsSpan(at2).StartsWith("@@");
                        version = name[(at2 + (isDefault ? 2 : 1))..];
                        name = name[..at2];
                    }
                    result.Add(new Symbol(name, U64(at + 8), version, isDefault));
                }
            }
            return result;
        }

        public ulong VaddrToOffset(ulong vaddr, string symbol)
        {
            var phoff = (long)U64(32);
            var entsize = U16(54);
            var count = U16(56);
            for (var i = 0; i < count; i++)
            {
                var at = phoff + (long)i * entsize;
                if (U32(at) != PT_LOAD)
                    continue;
                var offset = U64(at + 8);
                var va = U64(at + 16);
                var memsz = U64(at + 40);
                if (vaddr >= va && vaddr < va + memsz)
                    return vaddr - va + offset;
            }
            throw new BpfFormatException($"'{symbol}' at 0x{vaddr:x} lies in no PT_LOAD segment", phoff, _file);
        }
    }
}
