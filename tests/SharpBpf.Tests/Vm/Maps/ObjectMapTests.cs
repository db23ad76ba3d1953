using SharpBpf.Maps;
using SharpBpf.Objects;
using SharpBpf.Vm;
using SharpBpf.Vm.Maps;
using static SharpBpf.Tests.Vm.Maps.VmMapTestSpecs;

namespace SharpBpf.Tests.Vm.Maps;

/// <summary>PROG_ARRAY, ARRAY_OF_MAPS, HASH_OF_MAPS and PERF_EVENT_ARRAY: ids resolved to live objects.</summary>
public sealed unsafe class ObjectMapTests
{
    private sealed record FakeProgram(string Name);

    private static int Errno(Action a) => Assert.Throws<BpfMapException>(a).ErrorNumber;

    [Fact]
    public void ProgramArrayResolvesIdsAndReturnsThemToUserSpace()
    {
        var resolver = new TestResolver();
        var prog = new FakeProgram("tail");
        int progId = resolver.Register(prog);
        using var inner = Create(BpfMapType.Array, 4, 4, 1);
        int mapId = resolver.Register(inner);
        using var array = (IVmProgramArray)Create(BpfMapType.ProgArray, 4, 4, 4, resolver: resolver);

        array.Update(U32(2), U32((uint)progId));
        Assert.Same(prog, array.GetProgram(2));
        Assert.Null(array.GetProgram(1));
        Assert.Null(array.GetProgram(99));
        var value = new byte[4];
        Assert.True(array.TryLookup(U32(2), value));
        Assert.Equal((uint)progId, BitConverter.ToUInt32(value));
        Assert.False(array.TryLookup(U32(1), value));

        Assert.Equal(SharpBpf.Errno.EBADF, Errno(() => array.Update(U32(0), U32(999))));
        Assert.Equal(SharpBpf.Errno.EINVAL, Errno(() => array.Update(U32(0), U32((uint)mapId))));
        Assert.Equal(SharpBpf.Errno.E2BIG, Errno(() => array.Update(U32(4), U32((uint)progId))));
        Assert.Equal(SharpBpf.Errno.EINVAL, Errno(() => array.Update(U32(0), U32((uint)progId), MapUpdateFlags.NoExist)));
        Assert.False(array.Delete(U32(1)));
        Assert.True(array.Delete(U32(2)));
        Assert.Null(array.GetProgram(2));
        Assert.Equal(SharpBpf.Errno.E2BIG, Errno(() => array.Delete(U32(7))));
        byte k = 0;
        Assert.True(array.LookupFromProgram(&k, 0) is null);
    }

    private static MapSpec OuterSpec(BpfMapType type, MapSpec inner, int keySize = 4) =>
        new() { Name = "outer", Type = type, KeySize = keySize, ValueSize = 4, MaxEntries = 2, InnerMap = inner };

    [Fact]
    public void ArrayOfMapsChecksTheInnerTemplate()
    {
        var resolver = new TestResolver();
        var template = Spec(BpfMapType.Hash, 4, 8, 16);
        using var good = VmMapFactory.Create(template, resolver, 2);
        using var otherSize = Create(BpfMapType.Hash, 4, 8, 32);
        using var otherType = Create(BpfMapType.Array, 4, 8, 16);
        int goodId = resolver.Register(good), sizeId = resolver.Register(otherSize), typeId = resolver.Register(otherType);
        using var outer = (IVmMapOfMaps)VmMapFactory.Create(OuterSpec(BpfMapType.ArrayOfMaps, template), resolver, 2);

        outer.Update(U32(1), U32((uint)goodId));
        uint index = 1;
        Assert.Same(good, outer.GetInner((byte*)&index));
        index = 0;
        Assert.Null(outer.GetInner((byte*)&index));
        Assert.Equal(SharpBpf.Errno.EINVAL, Errno(() => outer.Update(U32(0), U32((uint)sizeId))));
        Assert.Equal(SharpBpf.Errno.EINVAL, Errno(() => outer.Update(U32(0), U32((uint)typeId))));
        var id = new byte[4];
        Assert.True(outer.TryLookup(U32(1), id));
        Assert.Equal((uint)goodId, BitConverter.ToUInt32(id));

        // BPF_F_INNER_MAP in the template lets inner maps differ in max_entries.
        template.Flags = (uint)BpfMapCreateFlags.InnerMap;
        using var flexible = Create(BpfMapType.Array, 4, 8, 3, (uint)BpfMapCreateFlags.InnerMap);
        using var flexible2 = Create(BpfMapType.Array, 4, 8, 300, (uint)BpfMapCreateFlags.InnerMap);
        var arrayTemplate = Spec(BpfMapType.Array, 4, 8, 1, (uint)BpfMapCreateFlags.InnerMap);
        using var outer2 = (IVmMapOfMaps)VmMapFactory.Create(OuterSpec(BpfMapType.ArrayOfMaps, arrayTemplate), resolver, 2);
        outer2.Update(U32(0), U32((uint)resolver.Register(flexible)));
        outer2.Update(U32(1), U32((uint)resolver.Register(flexible2)));
    }

    [Fact]
    public void HashOfMapsStoresMapsByKey()
    {
        var resolver = new TestResolver();
        var template = Spec(BpfMapType.Array, 4, 4, 2);
        using var a = VmMapFactory.Create(template, resolver, 2);
        using var b = VmMapFactory.Create(template, resolver, 2);
        using var c = VmMapFactory.Create(template, resolver, 2);
        int ia = resolver.Register(a), ib = resolver.Register(b), ic = resolver.Register(c);
        using var outer = (IVmMapOfMaps)VmMapFactory.Create(OuterSpec(BpfMapType.HashOfMaps, template, keySize: 8), resolver, 2);

        outer.Update(U64(100), U32((uint)ia));
        outer.Update(U64(200), U32((uint)ib), MapUpdateFlags.NoExist);
        Assert.Equal(SharpBpf.Errno.EEXIST, Errno(() => outer.Update(U64(200), U32((uint)ia), MapUpdateFlags.NoExist)));
        Assert.Equal(SharpBpf.Errno.E2BIG, Errno(() => outer.Update(U64(300), U32((uint)ic))));
        Assert.Equal(SharpBpf.Errno.ENOENT, Errno(() => outer.Update(U64(300), U32((uint)ic), MapUpdateFlags.Exist)));
        ulong key = 200;
        Assert.Same(b, outer.GetInner((byte*)&key));
        Assert.Equal(0, outer.DeleteFromProgram((byte*)&key));
        Assert.Null(outer.GetInner((byte*)&key));
        var next = new byte[8];
        Assert.True(outer.TryGetNextKey([], next));
        Assert.Equal(100UL, BitConverter.ToUInt64(next));
        Assert.False(outer.TryGetNextKey(next, next));
    }

    [Fact]
    public void MapOfMapsNeedsAnInnerTemplate()
    {
        var spec = new MapSpec { Name = "outer", Type = BpfMapType.ArrayOfMaps, KeySize = 4, ValueSize = 4, MaxEntries = 1 };
        var e = Assert.Throws<BpfMapCreateException>(() => VmMapFactory.Create(spec, new TestResolver(), 1));
        Assert.Equal(SharpBpf.Errno.EINVAL, e.ErrorNumber);
        Assert.Contains("inner map", e.Message);
    }

    [Fact]
    public void PerfEventArrayDeliversPaddedSamplesAndLostCounts()
    {
        using var array = (IVmPerfEventArray)Create(BpfMapType.PerfEventArray, 4, 4, 2);
        byte* data = stackalloc byte[] { 1, 2, 3, 4, 5 };
        Assert.Equal(-SharpBpf.Errno.ENOENT, array.Output(0, data, 5));   // nobody listening yet
        Assert.Equal(-SharpBpf.Errno.E2BIG, array.Output(2, data, 5));

        using var reader = new VmPerfEventReader(array, cpuCount: 2, perCpuBufferBytes: 64);
        Assert.Equal(0, array.Output(1, data, 5));
        Assert.Equal(0, array.Output(0, data, 1));
        var got = Read(reader);
        Assert.Equal(2, got.Count);
        Assert.Equal(0, got[0].Cpu);
        Assert.Equal(new byte[] { 1, 0, 0, 0 }, got[0].Data);        // round_up(1 + 4, 8) - 4
        Assert.Equal(1, got[1].Cpu);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0 }, got[1].Data);

        // 64 bytes hold four 16-byte records (8 header + 4 size + 4 data); then samples are lost and reported before the next one.
        for (int i = 0; i < 5; i++)
            array.Output(0, data, 4);
        Assert.Equal(4, Read(reader).Count);
        Assert.Equal(0, array.Output(0, data, 4));
        got = Read(reader);
        Assert.Equal(2, got.Count);
        Assert.Equal((0, 1UL), (got[0].Cpu, got[0].Lost));
        Assert.Empty(got[0].Data);
        Assert.Equal(1, reader.LostSamples);

        var e = Assert.Throws<BpfMapException>(() => array.TryLookup(U32(0), new byte[4]));
        Assert.Equal(SharpBpf.Errno.ENOTSUPP, e.ErrorNumber);
        reader.Dispose();
        Assert.Equal(-SharpBpf.Errno.ENOENT, array.Output(0, data, 5));
    }

    private static List<(int Cpu, byte[] Data, ulong Lost)> Read(VmPerfEventReader reader)
    {
        var got = new List<(int, byte[], ulong)>();
        var buffer = new byte[64];
        while (reader.TryRead(buffer, out var record))
            got.Add((record.Cpu, buffer.AsSpan(0, record.Length).ToArray(), record.LostSamples));
        return got;
    }
}
