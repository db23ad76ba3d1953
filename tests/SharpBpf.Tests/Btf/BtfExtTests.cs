using SharpBpf.Btf;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Btf;

public class BtfExtTests
{
    private static (BtfSpec Btf, BtfExt Ext) Load(string program, bool bigEndian)
    {
        var obj = TestPrograms.Compile(program, bigEndian: bigEndian);
        var btf = BtfFile.Load(obj);
        var ext = BtfFile.LoadExt(obj, btf);
        Assert.NotNull(ext);
        return (btf, ext!);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FuncAndLineInfoDescribeTheProgram(bool bigEndian)
    {
        var (btf, ext) = Load("btf_rich_types.c", bigEndian);
        Assert.Equal(bigEndian, ext.BigEndian);
        var xdp = Assert.Single(ext.FuncInfos, s => s.SectionName == "xdp");
        var first = xdp.Records[0];
        Assert.Equal(0u, first.InstructionOffset);
        Assert.Equal("rich", Assert.IsType<BtfFunc>(btf[first.TypeId]).Name);
        Assert.Contains(ext.FuncInfos.SelectMany(s => s.Records), r => btf[r.TypeId].Name == "helper");

        var source = File.ReadAllLines(Path.Combine(TestPrograms.SourceDir, "btf_rich_types.c"));
        var lines = ext.LineInfos.SelectMany(s => s.Records).ToList();
        Assert.NotEmpty(lines);
        foreach (var line in lines.Where(l => l.LineNumber != 0)) // line 0: compiler-generated code
        {
            Assert.EndsWith("btf_rich_types.c", line.FileName);
            Assert.InRange(line.LineNumber, 1u, (uint)source.Length);
            Assert.Equal(source[line.LineNumber - 1], line.Line);
            Assert.True(line.InstructionOffset % 8 == 0);
        }
    }

    [Fact]
    public void BothByteOrdersGiveTheSameRecords()
    {
        // clang's code differs a little between bpfel and bpfeb, so compare what does not depend on instruction offsets.
        var (_, le) = Load("btf_core_reads.c", false);
        var (_, be) = Load("btf_core_reads.c", true);
        Assert.Equal(le.FuncInfos.Select(s => (s.SectionName, s.Records.Single())), be.FuncInfos.Select(s => (s.SectionName, s.Records.Single())));
        Assert.Equal(Relocations(le), Relocations(be));
        Assert.Equal(le.LineInfos.Single().Records.Select(l => l.FileName).Distinct(), be.LineInfos.Single().Records.Select(l => l.FileName).Distinct());
    }

    private static List<(uint, string, BtfCoreRelocationKind)> Relocations(BtfExt ext) =>
        ext.CoreRelocations.SelectMany(s => s.Records).Select(r => (r.TypeId, r.AccessString, r.Kind)).Distinct().Order().ToList();

    [Fact]
    public void CoreRelocationsNameTheirTypesAndAccessStrings()
    {
        var (btf, ext) = Load("btf_core_reads.c", false);
        var relos = Assert.Single(ext.CoreRelocations).Records;
        var kinds = relos.Select(r => r.Kind).ToHashSet();
        foreach (var kind in new[]
        {
            BtfCoreRelocationKind.FieldByteOffset, BtfCoreRelocationKind.FieldByteSize, BtfCoreRelocationKind.FieldExists,
            BtfCoreRelocationKind.FieldSigned, BtfCoreRelocationKind.FieldLShiftU64, BtfCoreRelocationKind.FieldRShiftU64,
            BtfCoreRelocationKind.TypeIdLocal, BtfCoreRelocationKind.TypeIdTarget, BtfCoreRelocationKind.TypeExists,
            BtfCoreRelocationKind.TypeSize, BtfCoreRelocationKind.EnumValueExists, BtfCoreRelocationKind.EnumValue,
        })
            Assert.Contains(kind, kinds);

        var flags = relos.Single(r => r.Kind == BtfCoreRelocationKind.FieldByteOffset && btf[r.TypeId].Name == "task_struct" && r.AccessString == "0:2");
        Assert.Equal(0u, flags.InstructionOffset % 8);
        var enumValue = relos.Single(r => r.Kind == BtfCoreRelocationKind.EnumValue);
        Assert.Equal("pid_type", btf[enumValue.TypeId].Name);
        Assert.Equal("1", enumValue.AccessString);
    }

    [Fact]
    public void MalformedExtRaisesFormatErrors()
    {
        var (btf, _) = Load("btf_rich_types.c", false);
        Assert.Throws<BpfFormatException>(() => BtfExt.Parse(new byte[10], btf));
        var bytes = new byte[32];
        bytes[0] = 0x9f;
        bytes[1] = 0xeb;
        bytes[2] = 1;
        bytes[4] = 32; // hdr_len
        bytes[8] = 0; // func_info_off
        bytes[12] = 100; // func_info_len: past the end
        var e = Assert.Throws<BpfFormatException>(() => BtfExt.Parse(bytes, btf));
        Assert.Contains("func_info", e.Message);
    }
}
