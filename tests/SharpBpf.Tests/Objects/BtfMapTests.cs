using SharpBpf.Objects;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Objects;

public class BtfMapTests
{
    public static TheoryData<bool> ByteOrders => new() { false, true };

    [Theory, MemberData(nameof(ByteOrders))]
    public void DecodesBtfMapDefinitions(bool bigEndian)
    {
        var obj = ObjectSpec.Load(TestPrograms.Compile("obj_btf_maps.c", bigEndian: bigEndian));
        var counts = obj.FindMap("counts")!;
        Assert.Equal((BpfMapType.Hash, 4, 8, 128, 1u), (counts.Type, counts.KeySize, counts.ValueSize, counts.MaxEntries, counts.Flags));
        Assert.NotEqual(0u, counts.BtfKeyTypeId);
        Assert.NotEqual(0u, counts.BtfValueTypeId);
        var stats = obj.FindMap("stats")!;
        Assert.Equal((BpfMapType.PercpuArray, 4, 16, 4, 1u), (stats.Type, stats.KeySize, stats.ValueSize, stats.MaxEntries, stats.Pinning));
        Assert.Equal(0u, stats.BtfKeyTypeId);
        var events = obj.FindMap("events")!;
        Assert.Equal((BpfMapType.Ringbuf, 4096), (events.Type, events.MaxEntries));
    }

    [Theory, MemberData(nameof(ByteOrders))]
    public void DecodesMapInMapAndProgArrayInitialisers(bool bigEndian)
    {
        var obj = ObjectSpec.Load(TestPrograms.Compile("obj_btf_maps.c", bigEndian: bigEndian));
        var outer = obj.FindMap("outer")!;
        Assert.Equal((BpfMapType.ArrayOfMaps, 4, 4, 2), (outer.Type, outer.KeySize, outer.ValueSize, outer.MaxEntries));
        Assert.NotNull(outer.InnerMap);
        Assert.Equal(("outer.inner", BpfMapType.Array, 4, 4, 8), (outer.InnerMap!.Name, outer.InnerMap.Type, outer.InnerMap.KeySize, outer.InnerMap.ValueSize, outer.InnerMap.MaxEntries));
        Assert.Equal([new MapSlotInit(1, "inner1")], outer.Contents);
        var jumps = obj.FindMap("jumps")!;
        Assert.Equal((BpfMapType.ProgArray, 4, 4, 4), (jumps.Type, jumps.KeySize, jumps.ValueSize, jumps.MaxEntries));
        Assert.Equal([new MapSlotInit(2, "tail_target")], jumps.Contents);
        Assert.Null(jumps.InnerMap);
    }

    [Theory, MemberData(nameof(ByteOrders))]
    public void LaysOutKconfigExternsLikeLibbpf(bool bigEndian)
    {
        var obj = ObjectSpec.Load(TestPrograms.Compile("obj_global_data.c", bigEndian: bigEndian));
        // Both are 4-byte ints: same alignment and size, so by name.
        var hz = obj.Externs.Single(e => e.Name == "CONFIG_HZ");
        var version = obj.Externs.Single(e => e.Name == "LINUX_KERNEL_VERSION");
        Assert.Equal((ExternKind.Kconfig, 0, 4, true), (hz.Kind, hz.Offset, hz.Size, hz.Weak));
        Assert.Equal((ExternKind.Kconfig, 4, 4, false), (version.Kind, version.Offset, version.Size, version.Weak));
        var kconfig = obj.Maps.Single(m => m.DataSection == ".kconfig");
        Assert.Equal(("obj_glo.kconfig", 8, 0x480u), (kconfig.Name, kconfig.ValueSize, kconfig.Flags));
        var relocs = obj.FindProgram("on_getpid")!.Relocations;
        Assert.Contains(relocs, r => r is KconfigReference { Symbol: "LINUX_KERNEL_VERSION", Offset: 4 });
        Assert.Contains(relocs, r => r is KconfigReference { Symbol: "CONFIG_HZ", Offset: 0 });
    }

    [Theory, MemberData(nameof(ByteOrders))]
    public void ClassifiesKfuncsKsymsAndKconfig(bool bigEndian)
    {
        var obj = ObjectSpec.Load(TestPrograms.Compile("obj_externs.c", bigEndian: bigEndian));
        var kinds = obj.Externs.ToDictionary(e => e.Name, e => (e.Kind, e.Offset, e.Size));
        Assert.Equal((ExternKind.Kfunc, -1, 0), kinds["bpf_rcu_read_lock"]);
        Assert.Equal((ExternKind.Ksym, -1, 0), kinds["bpf_prog_active"]);
        // libbpf's order: larger alignment first, then smaller size, then name.
        Assert.Equal((ExternKind.Kconfig, 0, 8), kinds["CONFIG_BASE_SMALL"]);
        Assert.Equal((ExternKind.Kconfig, 8, 4), kinds["LINUX_KERNEL_VERSION"]);
        Assert.Equal((ExternKind.Kconfig, 12, 1), kinds["CONFIG_BPF_SYSCALL"]);
        Assert.Equal((ExternKind.Kconfig, 13, 1), kinds["CONFIG_X86_64"]);
        Assert.Equal(14, obj.Maps.Single(m => m.DataSection == ".kconfig").ValueSize);
        var relocs = obj.FindProgram("on_switch")!.Relocations;
        Assert.Equal([new KfuncCall(0, "bpf_rcu_read_lock"), new KfuncCall(4, "bpf_rcu_read_unlock")], relocs.OfType<KfuncCall>());
        Assert.Equal([new KsymReference(1, "bpf_prog_active")], relocs.OfType<KsymReference>());
        Assert.Contains(new KconfigReference(10, "CONFIG_X86_64", 13), relocs);
    }
}
