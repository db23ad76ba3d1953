using SharpBpf.Isa;
using SharpBpf.Linux;
using SharpBpf.Objects;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux;

public class KernelEngineTests
{
    [Theory]
    [InlineData("my_object.bpf", ".rodata", "my_objec.rodata")]
    [InlineData("my_object.bpf", ".data", "my_objec.data")]
    [InlineData("x", ".bss", "x.bss")]
    [InlineData("my_object", ".kconfig", "my_obje.kconfig")]
    [InlineData("my_object", ".rodata.str1.1", ".rodata.str1.1")]
    [InlineData("a-b", ".data", "a_b.data")]
    public void GlobalDataMapsAreNamedAsLibbpfNamesThem(string obj, string section, string expected) =>
        Assert.Equal(expected, KernelEngine.InternalMapName(obj, section));

    [SkippableFact]
    public void LoadsMapsGlobalDataAndProgramsAndFillsProgramArrays()
    {
        Requirements.Kernel();
        var rodata = new MapSpec { Name = ".rodata", DataSection = ".rodata", KeySize = 4, ValueSize = 8, MaxEntries = 1, InitialValue = BitConverter.GetBytes(0x1122334455L) };
        var counts = new MapSpec { Name = "counts", Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 1 };
        var jumps = new MapSpec { Name = "jumps", Type = BpfMapType.ProgArray, KeySize = 4, ValueSize = 4, MaxEntries = 2 };
        jumps.Contents.Add(new MapSlotInit(1, "target"));

        // r1 = &rodata[0]; r0 = *(u64 *)r1; exit  (returns the low 32 bits of the constant)
        var reader = new ProgramSpec
        {
            Name = "reader", SectionName = "socket", Type = BpfProgramType.SocketFilter, License = "GPL",
            Instructions =
            [
                new Instruction(0x18, 1, 0, 0, 0), new Instruction(0, 0, 0, 0, 0),
                new Instruction(0x79, 0, 1, 0, 0),
                Asm.Exit(),
            ],
            Relocations = { new MapValueReference(0, ".rodata", 0) },
        };
        var target = new ProgramSpec
        {
            Name = "target", SectionName = "socket", Type = BpfProgramType.SocketFilter, License = "GPL",
            Instructions = [new Instruction(0x18, 1, 0, 0, 0), new Instruction(0, 0, 0, 0, 0), .. Asm.Return(7)],
            Relocations = { new MapReference(0, "counts") },
        };

        using var collection = KernelEngine.Load([rodata, counts, jumps], [reader, target], new KernelEngineOptions { ObjectName = "engine_test.bpf" });
        var rodataMap = collection.Maps[".rodata"];
        Assert.Equal("engine_t.rodata", rodataMap.Name);
        Assert.True(rodataMap.IsFrozen);
        Assert.Equal(0x480u, rodataMap.Flags);

        Assert.Equal(0x22334455u, collection.Programs["reader"].TestRun(new byte[64]).ReturnValue);
        Assert.Contains(collection.Maps["counts"].Id, collection.Programs["target"].Info().MapIds);

        var slot = new byte[4];
        Assert.True(collection.Maps["jumps"].TryLookup(BitConverter.GetBytes(1), slot));
        Assert.Equal(collection.Programs["target"].Id, BitConverter.ToUInt32(slot)); // user space reads back the program id
    }

    [SkippableFact]
    public void UnknownMapReferencesAreClearErrors()
    {
        Requirements.Kernel();
        var prog = new ProgramSpec
        {
            Name = "lost", SectionName = "socket", Type = BpfProgramType.SocketFilter,
            Instructions = [new Instruction(0x18, 1, 0, 0, 0), new Instruction(0, 0, 0, 0, 0), .. Asm.Return(0)],
            Relocations = { new MapReference(0, "nowhere") },
        };
        var e = Assert.Throws<BpfException>(() => KernelEngine.Load([], [prog]));
        Assert.Contains("map 'nowhere'", e.Message);
    }
}
