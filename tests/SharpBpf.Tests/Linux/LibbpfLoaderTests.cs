using SharpBpf.Linux;
using SharpBpf.Objects;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Linux;

/// <summary>
/// What libbpf does on load beyond the object's text, against bpftool 7.1's <c>prog loadall</c> on the same object:
/// PERF_EVENT_ARRAY sized to the possible CPUs, BTF with every map, .rodata bound to every program, LINUX_HAS_*
/// kconfigs, attach BTF ids for tp_btf/iter, and maps pinned by name.
/// </summary>
public class LibbpfLoaderTests
{
    private const uint Mmapable = 1u << 10;

    [SkippableFact]
    public void LoadsBccStyleObjectsAsBpftoolDoes()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        using var fs = new PrivateBpfFs();
        var path = TestPrograms.Compile("loader_bcc_style.c");
        var progDir = Path.Combine(fs.Path, "progs");
        var mapDir = Path.Combine(fs.Path, "maps");
        var (code, _, err) = TestPrograms.Run(bpftool, ["prog", "loadall", path, progDir, "pinmaps", mapDir]);
        Assert.True(code == 0, err);

        var spec = ObjectSpec.Load(path);
        using var ours = new KernelEngine().Load(spec);
        Assert.Equal(Directory.GetFiles(mapDir).Length, ours.Maps.Count);
        foreach (var file in Directory.GetFiles(mapDir))
        {
            using var theirs = KernelMap.OpenPinned(file);
            var mine = ours.Maps.Values.Single(m => m.Name == theirs.Name);
            var a = theirs.Info;
            var b = mine.Info;
            Assert.Equal((a.Type, a.KeySize, a.ValueSize, a.MaxEntries), (b.Type, b.KeySize, b.ValueSize, b.MaxEntries));
            // bpftool 7.1 embeds kernel 6.1's libbpf, which makes every internal map mmap-able; we follow Debian's
            // libbpf 1.1 (only sections with a non-static variable), which LibbpfOracleTests checks.
            var internalMap = spec.Maps.Single(m => m.Name == theirs.Name).IsGlobalData;
            Assert.Equal(internalMap ? a.Flags & ~Mmapable : a.Flags, internalMap ? b.Flags & ~Mmapable : b.Flags);
            Assert.True((a.BtfId != 0) == (b.BtfId != 0), $"map '{a.Name}': bpftool btf_id {a.BtfId}, ours {b.BtfId}");
            Assert.Equal((a.BtfKeyTypeId, a.BtfValueTypeId), (b.BtfKeyTypeId, b.BtfValueTypeId));
            if (a.Type == BpfMapType.Array)
            {
                var (va, vb) = (new byte[a.ValueSize], new byte[b.ValueSize]);
                Assert.True(theirs.TryLookup(new byte[4], va) && mine.TryLookup(new byte[4], vb));
                Assert.Equal(Convert.ToHexString(va), Convert.ToHexString(vb)); // .kconfig: LINUX_HAS_* as libbpf computes them
            }
        }
        Assert.Equal(PossibleCpus.Count, ours.Maps["events"].MaxEntries);
        Assert.True(FeatureProbe.HasBpfCookie); // so the .kconfig comparison above saw a 1 computed, not a default 0

        foreach (var file in Directory.GetFiles(progDir))
        {
            using var theirs = KernelProgram.OpenPinned(file);
            var a = theirs.Info();
            var b = ours.Programs.Values.Single(p => p.Info().Name == a.Name).Info();
            Assert.Equal((a.Type, Convert.ToHexString(a.Tag), a.AttachBtfObjectId, a.AttachBtfId), (b.Type, Convert.ToHexString(b.Tag), b.AttachBtfObjectId, b.AttachBtfId));
            Assert.True(a.MapIds.Length == b.MapIds.Length, $"{a.Name}: bpftool binds {a.MapIds.Length} maps, we {b.MapIds.Length}");
        }
        Assert.Equal(Directory.GetFiles(progDir).Length, ours.Programs.Count);
        Assert.NotEqual(0u, ours.Programs["on_switch"].Info().AttachBtfId);
    }

    [SkippableFact]
    public void MapsPinnedByNameAreCreatedOnceThenReused()
    {
        Requirements.Kernel();
        using var fs = new PrivateBpfFs();
        var path = TestPrograms.Compile("loader_pinned.c");
        var options = new KernelEngineOptions { PinRootPath = fs.Path };
        var pin = Path.Combine(fs.Path, "sb_loader_pinned");

        uint id;
        using (var first = new KernelEngine(options).Load(ObjectSpec.Load(path)))
        {
            id = first.Maps["sb_loader_pinned"].Info.Id;
            Assert.True(File.Exists(pin));
        }
        using (var second = new KernelEngine(options).Load(ObjectSpec.Load(path)))
            Assert.Equal(id, second.Maps["sb_loader_pinned"].Info.Id); // the pin kept the map alive and was reused

        // No pin root: the attribute is ignored, a private map is created.
        using (var unpinned = new KernelEngine().Load(ObjectSpec.Load(path)))
            Assert.NotEqual(id, unpinned.Maps["sb_loader_pinned"].Info.Id);

        // A pin of another shape is refused, as libbpf does, and nothing is left behind.
        File.Delete(pin);
        using (var other = KernelMap.Create("sb_loader_pinned", BpfMapType.Hash, 4, 8, 32))
            other.Pin(pin);
        var e = Assert.Throws<BpfException>(() => new KernelEngine(options).Load(ObjectSpec.Load(path)));
        Assert.Contains("parameter mismatch", e.Message);
        File.Delete(pin);
    }

    [SkippableFact]
    public void LoadallPinsByNameUnderTheBpffsAsBpftool()
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        using var fs = new PrivateBpfFs();
        var path = TestPrograms.Compile("loader_pinned.c");
        var pin = Path.Combine(BpfFs.DefaultPath, "sb_loader_pinned");
        try
        {
            var ours = SharpBpfCli.Run("prog", "loadall", path, Path.Combine(fs.Path, "ours"));
            Assert.True(ours.ExitCode == 0, ours.Stderr);
            Assert.True(File.Exists(pin), "sharpbpf prog loadall did not pin the map by name");
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(fs.Path, "ours")));
            uint id;
            using (var pinned = KernelMap.OpenPinned(pin))
                id = pinned.Info.Id;
            var (code, _, err) = TestPrograms.Run(bpftool, ["prog", "loadall", path, Path.Combine(fs.Path, "theirs")]);
            Assert.True(code == 0, err);
            using var theirs = KernelProgram.OpenPinned(Path.Combine(fs.Path, "theirs", "count_getppid"));
            Assert.Contains(id, theirs.Info().MapIds); // bpftool reused the map we pinned
        }
        finally
        {
            File.Delete(pin);
        }
    }

    [SkippableTheory]
    [InlineData("events")] // perf event array: get-next-key answers, lookup does not
    [InlineData("rb")]     // ring buffer: neither
    public void MapDumpOfRefusedLookupsPrintsWhatBpftoolPrints(string map)
    {
        Requirements.Kernel();
        var bpftool = Requirements.Tool("bpftool");
        using var fs = new PrivateBpfFs();
        using var loaded = new KernelEngine().Load(ObjectSpec.Load(TestPrograms.Compile("loader_bcc_style.c")));
        var pin = Path.Combine(fs.Path, map);
        loaded.Maps[map].Pin(pin);
        foreach (var json in new[] { false, true })
        {
            string[] args = json ? ["-j", "map", "dump", "pinned", pin] : ["map", "dump", "pinned", pin];
            var theirs = TestPrograms.Run(bpftool, args);
            var ours = SharpBpfCli.Run(args);
            Assert.Equal((theirs.ExitCode, theirs.Stdout), (ours.ExitCode, ours.Stdout));
        }
    }

    [SkippableFact]
    public void AnUnknownSectionIsNamedAsLibbpfNamesIt()
    {
        Requirements.Kernel();
        var spec = ObjectSpec.Load(TestPrograms.Compile("loader_pinned.c"));
        var program = spec.Programs.Single();
        program.Type = BpfProgramType.Unspec;
        var e = Assert.Throws<BpfException>(() => new KernelEngine().Load(spec));
        Assert.Equal("prog 'count_getppid': missing BPF prog type, check ELF section name 'tracepoint/syscalls/sys_enter_getppid'", e.Message);
    }
}
