using System.Text.Json;
using SharpBpf.Isa;
using SharpBpf.Linux;
using SharpBpf.Objects;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux;

public class KernelEngineTests
{
    [SkippableFact]
    public void ReusedMapsAreTheKernelMapsGivenAndStayTheCallers()
    {
        Requirements.Kernel();
        var obj = ObjectSpec.Load(TestPrograms.Compile("xdp_counters.c"));
        using var existing = KernelMap.Create(obj.FindMap("by_source")!);
        existing.Update(new byte[existing.KeySize], new byte[existing.ValueSize]);
        using (var collection = new KernelEngine(new KernelEngineOptions { ReuseMaps = new Dictionary<string, BpfFd> { ["by_source"] = existing.Fd } }).Load(obj))
        {
            Assert.Equal(existing.Id, collection.Map("by_source").Id);
            Assert.NotEqual(existing.Id, collection.Map("by_protocol").Id);
            Assert.Contains(existing.Id, collection.Program("xdp_counters").Info().MapIds);
        }
        Assert.True(existing.TryLookup(new byte[existing.KeySize], new byte[existing.ValueSize])); // not refilled, and still open after the collection went
    }

    [SkippableFact]
    public void LoadsACompiledObjectAndRunsIt()
    {
        Requirements.Kernel();
        var obj = ObjectSpec.Load(TestPrograms.Compile("kernel_counter.c"));
        using var collection = new KernelEngine().Load(obj);
        Assert.NotNull(collection.Btf);
        var prog = collection.Programs["count_packets"];
        var info = prog.Info();
        Assert.NotEqual(0u, info.BtfId);

        Assert.Equal(2u, prog.Run(new byte[60]).ReturnValue);    // XDP_PASS from .rodata
        Assert.Equal(3u, prog.Run(new byte[99]).ReturnValue);    // tail call to tail_target: XDP_TX

        var hits = new SharpBpf.Maps.BpfMap<uint, ulong>(collection.Maps["hits"]);
        Assert.Equal(1UL, hits[60]);
        var data = collection.Maps.Values.Single(m => m.Name.EndsWith(".data"));
        var value = new byte[data.ValueSize];
        Assert.True(data.TryLookup(new byte[4], value));
        Assert.Equal(102, BitConverter.ToInt32(value));               // calls = 100 + 2 runs
        var rodata = collection.Maps.Values.Single(m => m.Name.EndsWith(".rodata"));
        Assert.True(rodata.IsFrozen);
        Assert.NotEqual(0u, rodata.Info.BtfId);
    }

    [SkippableFact]
    public void CreatesTheSameMapsAndProgramsAsBpftool()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        using var fs = new PrivateBpfFs();
        var path = TestPrograms.Compile("kernel_counter.c");
        var progDir = Path.Combine(fs.Path, "progs");
        var mapDir = Path.Combine(fs.Path, "maps");
        var (code, _, err) = TestPrograms.Run(bpftool, ["prog", "loadall", path, progDir, "pinmaps", mapDir]);
        Assert.True(code == 0, err);

        using var ours = new KernelEngine().Load(ObjectSpec.Load(path));
        foreach (var file in Directory.GetFiles(mapDir))
        {
            using var theirs = KernelMap.OpenPinned(file);
            var mine = ours.Maps.Values.SingleOrDefault(m => m.Name == theirs.Name);
            Assert.True(mine is not null, $"bpftool created map '{theirs.Name}', we did not");
            Assert.Equal(theirs.Type, mine!.Type);
            Assert.Equal(theirs.KeySize, mine.KeySize);
            Assert.Equal(theirs.ValueSize, mine.ValueSize);
            Assert.Equal(theirs.MaxEntries, mine.MaxEntries);
            Assert.Equal(theirs.Flags, mine.Flags);
            Assert.Equal(theirs.Info.BtfId != 0, mine.Info.BtfId != 0);
            Assert.Equal(theirs.Info.BtfKeyTypeId != 0, mine.Info.BtfKeyTypeId != 0);
            Assert.Equal(theirs.IsFrozen, mine.IsFrozen);
        }
        Assert.Equal(Directory.GetFiles(mapDir).Length, ours.Maps.Count);
        foreach (var file in Directory.GetFiles(progDir))
        {
            using var theirs = KernelProgram.OpenPinned(file);
            var a = theirs.Info(KernelObjectInfo.ProgramParts.Xlated | KernelObjectInfo.ProgramParts.FuncInfo | KernelObjectInfo.ProgramParts.LineInfo);
            var b = ours.Programs.Values.Single(p => p.Info().Name == a.Name).Info(KernelObjectInfo.ProgramParts.Xlated | KernelObjectInfo.ProgramParts.FuncInfo | KernelObjectInfo.ProgramParts.LineInfo);
            Assert.Equal(a.Type, b.Type);
            Assert.Equal(a.Tag, b.Tag);                 // same instructions after relocation
            Assert.Equal(a.XlatedLength, b.XlatedLength);
            Assert.Equal(a.GplCompatible, b.GplCompatible);
            Assert.Equal(a.FuncInfo!.Length, b.FuncInfo!.Length);
            Assert.Equal(a.LineInfo!.Length, b.LineInfo!.Length);
        }
    }

    [SkippableTheory]
    [InlineData("obj_btf_maps.c")]
    [InlineData("obj_global_data.c")]
    [InlineData("obj_legacy_maps.c")]
    [InlineData("obj_subprogs.c")]
    [InlineData("xdp_pass.c")]
    public void LoadsTheObjectsTestPrograms(string file)
    {
        Requirements.Kernel();
        var obj = ObjectSpec.Load(TestPrograms.Compile(file));
        using var collection = new KernelEngine().Load(obj);
        Assert.Equal(obj.Programs.Count(p => p.Autoload), collection.Programs.Count);
        Assert.Equal(obj.Maps.Count, collection.Maps.Count);
    }

    [SkippableFact]
    public void VerifierErrorsQuoteTheSourceLine()
    {
        Requirements.Kernel();
        var obj = ObjectSpec.Load(TestPrograms.Compile("kernel_counter.c"));
        var prog = obj.FindProgram("tail_target")!;
        // Replace the body with an exit that reads an uninitialised r0 but keep func/line info valid: drop r0's setup.
        prog.Instructions = [new Instruction(0x95, 0, 0, 0, 0)];
        var e = Assert.Throws<BpfVerifierException>(() => new KernelEngine().Load(obj));
        Assert.Equal("tail_target", e.Program);
        Assert.Contains("R0 !read_ok", e.VerifierLog);
        Assert.NotNull(e.SourceContext);
        Assert.Contains("kernel_counter.c:", e.SourceContext);
    }

    [SkippableFact]
    public void HandBuiltSpecsLoadWithGlobalDataAndProgramArrays()
    {
        Requirements.Kernel();
        var rodata = new MapSpec { Name = "sb_hand.rodata", DataSection = ".rodata", Type = BpfMapType.Array, KeySize = 4, ValueSize = 8, MaxEntries = 1, Flags = 0x80, InitialValue = BitConverter.GetBytes(0x1122334455L) };
        var jumps = new MapSpec { Name = "jumps", Type = BpfMapType.ProgArray, KeySize = 4, ValueSize = 4, MaxEntries = 2 };
        jumps.Contents.Add(new MapSlotInit(1, "target"));
        var reader = new ProgramSpec
        {
            Name = "reader", SectionName = "socket", Type = BpfProgramType.SocketFilter, License = "GPL",
            Instructions = [new Instruction(0x18, 1, 0, 0, 0), new Instruction(0, 0, 0, 0, 0), new Instruction(0x79, 0, 1, 0, 0), Asm.Exit()],
            Relocations = { new MapValueReference(0, "sb_hand.rodata", 0) },
        };
        var target = new ProgramSpec { Name = "target", SectionName = "socket", Type = BpfProgramType.SocketFilter, License = "GPL", Instructions = Asm.Return(7) };

        using var collection = new KernelEngine().Load([rodata, jumps], [reader, target]);
        Assert.True(collection.Maps["sb_hand.rodata"].IsFrozen);
        Assert.Equal(0x22334455u, collection.Programs["reader"].Run(new byte[64]).ReturnValue);
        var slot = new byte[4];
        Assert.True(collection.Maps["jumps"].TryLookup(BitConverter.GetBytes(1), slot));
        Assert.Equal(collection.Programs["target"].Id, BitConverter.ToUInt32(slot));
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
        var e = Assert.Throws<BpfNotFoundException>(() => new KernelEngine().Load([], [prog]));
        Assert.Contains("map 'nowhere'", e.Message);
    }
}
