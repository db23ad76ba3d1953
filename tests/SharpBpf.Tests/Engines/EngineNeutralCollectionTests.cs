using SharpBpf.Linux;
using SharpBpf.Objects;
using SharpBpf.Tests.Packets;
using SharpBpf.Tests.Support;
using SharpBpf.Vm;

namespace SharpBpf.Tests.Engines;

/// <summary>The same code against both engines through <see cref="IBpfEngine"/>: names, typed errors, disposal.</summary>
public sealed class EngineNeutralCollectionTests
{
    public static TheoryData<string> Engines => ["vm", "kernel"];

    private static IBpfEngine Create(string engine)
    {
        if (engine == "kernel")
            Requirements.Kernel();
        return engine == "kernel" ? new KernelEngine() : new VmEngine();
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void CollectionsNameTheirMapsAndProgramsAndRunThem(string engine)
    {
        using var bpf = Create(engine);
        var obj = ObjectSpec.Load(TestPrograms.Compile("xdp_counters.c"));
        using var loaded = bpf.Load(obj);
        Assert.Equal(obj.Maps.Select(m => m.Name).Order(), loaded.Maps.Keys.Order());
        Assert.Same(loaded.Programs["xdp_counters"], loaded.Program("xdp_counters"));
        Assert.Same(loaded.Maps, loaded.Maps); // one view, not a copy per call
        var result = loaded.Program("xdp_counters").Run(TestFrames.Udp("10.0.0.1", "10.1.2.3", 1000, 53));
        Assert.Equal(2UL, result.ReturnValue); // XDP_PASS
        Assert.True(result.DurationNs > 0);
        var missing = Assert.Throws<BpfNotFoundException>(() => loaded.Map("nope"));
        Assert.Equal(("map", "nope"), (missing.Kind, missing.Name));
        Assert.Equal("program", Assert.Throws<BpfNotFoundException>(() => loaded.Program("nope")).Kind);
    }

    [Fact]
    public void AVmProgramOutlivingItsCollectionRefusesToRun()
    {
        using var vm = new VmEngine();
        var loaded = vm.Load(ObjectSpec.Load(TestPrograms.Compile("xdp_counters.c")));
        var program = loaded.Program("xdp_counters");
        var map = loaded.Map("by_source");
        loaded.Dispose();
        Assert.Throws<ObjectDisposedException>(() => program.Run(new byte[64]));
        Assert.Throws<ObjectDisposedException>(() => map.TryGetNextKey(ReadOnlySpan<byte>.Empty, new byte[map.KeySize]));
        using var again = vm.Load(ObjectSpec.Load(TestPrograms.Compile("xdp_counters.c"))); // the engine lives on
        Assert.Equal(2UL, again.Program("xdp_counters").Run(TestFrames.Udp("10.0.0.1", "10.1.2.3", 1000, 53)).ReturnValue);
    }
}
