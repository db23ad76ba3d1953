using System.Buffers.Binary;
using System.Runtime.InteropServices;
using SharpBpf.Elf;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Elf;

public class ElfFileTests
{
    public static TheoryData<bool> ByteOrders => new() { false, true };

    [Theory, MemberData(nameof(ByteOrders))]
    public void ReadsSectionsSymbolsAndRelocationsInBothByteOrders(bool bigEndian)
    {
        var elf = ElfFile.Load(TestPrograms.Compile("obj_subprogs.c", bigEndian: bigEndian));
        Assert.Equal(bigEndian, elf.BigEndian);
        Assert.Equal(ElfConstants.MachineBpf, elf.Machine);
        var text = elf.FindSection(".text")!;
        Assert.True(text.IsExecutable);
        var tc = elf.FindSection("tc")!;
        var relocations = elf.RelocationsFor(tc).Single();
        Assert.Equal(".reltc", relocations.Section.Name);
        Assert.Same(tc, relocations.Target);
        var first = relocations[0];
        Assert.Equal(BpfRelocationType.Bpf64_32, first.BpfType);
        Assert.Equal("global_top", elf.Symbols!.GetName(first.SymbolIndex));
        var leaf = Enumerable.Range(0, elf.Symbols.Count).Single(i => elf.Symbols.GetName(i) == "leaf");
        Assert.Equal(ElfSymbolType.Func, elf.Symbols[leaf].Type);
        Assert.Equal(ElfSymbolBinding.Local, elf.Symbols[leaf].Binding);
        Assert.Equal(text.Index, elf.Symbols[leaf].SectionIndex);
    }

    [Fact]
    public void SectionDataIsASliceOfTheInput()
    {
        var bytes = TestPrograms.CompileBytes("xdp_pass.c");
        var memory = new ReadOnlyMemory<byte>(bytes);
        var elf = ElfFile.Parse(memory);
        var xdp = elf.FindSection("xdp")!;
        Assert.True(MemoryMarshal.TryGetArray(elf.GetData(xdp), out var segment));
        Assert.Same(bytes, segment.Array);
        Assert.Equal((int)xdp.FileOffset, segment.Offset);
    }

    [Fact]
    public void RejectsWhatIsNotABpfElf64Object()
    {
        var good = TestPrograms.CompileBytes("xdp_pass.c");
        AssertFormat([1, 2, 3], "not an ELF file", 0);
        var elf32 = (byte[])good.Clone();
        elf32[4] = 1;
        AssertFormat(elf32, "not a 64-bit ELF file", 4);
        var x86 = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(x86.AsSpan(18), 62);
        AssertFormat(x86, "not a BPF object (e_machine 62, expected 247)", 18);
        AssertFormat(good[..40], "the ELF header needs 64 bytes", 40);
        AssertFormat(good[..(good.Length - 100)], "extends past the end of the file", 40);
        var badOffset = (byte[])good.Clone();
        var elf = ElfFile.Parse(good);
        var xdp = elf.FindSection("xdp")!;
        BinaryPrimitives.WriteUInt64LittleEndian(badOffset.AsSpan((int)xdp.HeaderOffset + 24), (ulong)good.Length - 4);
        AssertFormat(badOffset, $"section {xdp.Index}'s contents (16 bytes at 0x{good.Length - 4:x}) extends past the end of the file", xdp.HeaderOffset + 24);
    }

    private static void AssertFormat(byte[] bytes, string message, long offset)
    {
        var e = Assert.Throws<BpfFormatException>(() => ElfFile.Parse(bytes, "bad.o"));
        Assert.Contains(message, e.Message);
        Assert.StartsWith("bad.o: ", e.Message);
        Assert.Equal(offset, e.Offset);
        Assert.EndsWith($"(at file offset 0x{offset:x})", e.Message);
    }
}
