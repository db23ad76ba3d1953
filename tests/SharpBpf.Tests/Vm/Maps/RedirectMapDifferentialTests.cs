using SharpBpf.Objects;
using SharpBpf.Vm.Maps;
using static SharpBpf.Tests.Vm.Maps.MapOp;

namespace SharpBpf.Tests.Vm.Maps;

/// <summary>DEVMAP, DEVMAP_HASH, CPUMAP and XSKMAP: user-space operations on the VM's and the kernel's maps give the same
/// errno and bytes (ifindex 1 is the loopback device, which every network namespace has).</summary>
public sealed class RedirectMapDifferentialTests
{
    private static byte[] U32(uint v) => BitConverter.GetBytes(v);
    private static byte[] U64(ulong v) => BitConverter.GetBytes(v);

    private static MapSpec Spec(BpfMapType type, int value, int entries) =>
        new() { Name = "vmt_redirect", Type = type, KeySize = 4, ValueSize = value, MaxEntries = entries };

    [SkippableFact]
    public void DevmapMatchesKernel() => KernelDifferentialTests.Compare(Spec(BpfMapType.Devmap, 4, 8),
    [
        new GetNext(null), new Lookup(U32(0)), new Update(U32(0), U32(1)), new Lookup(U32(0)),
        new Update(U32(0), U32(1), "noexist"), new Update(U32(8), U32(1)), new Update(U32(2), U32(1), "exist"),
        new Update(U32(1), U32(0)), new Lookup(U32(1)), new Delete(U32(1)), new Delete(U32(0)), new Lookup(U32(0)),
        new Delete(U32(9)), new GetNext(U32(7)), new GetNext(U32(3)), new GetNext(U32(100)),
    ], orderedDump: true);

    [SkippableFact]
    public void DevmapWithProgramSlotMatchesKernel() => KernelDifferentialTests.Compare(Spec(BpfMapType.Devmap, 8, 4),
    [
        new Update(U32(0), U64(1)), new Lookup(U32(0)), new Update(U32(1), [0, 0, 0, 0, 5, 0, 0, 0]), new Lookup(U32(1)),
    ], orderedDump: true);

    [SkippableFact]
    public void DevmapHashMatchesKernel() => KernelDifferentialTests.Compare(Spec(BpfMapType.DevmapHash, 4, 2),
    [
        new GetNext(null), new Update(U32(5), U32(1)), new Update(U32(5), U32(1), "noexist"), new Update(U32(6), U32(0)),
        new Update(U32(7), U32(1), "exist"), new Update(U32(7), U32(1)), new Update(U32(8), U32(1)), new Lookup(U32(7)),
        new GetNext(null), new GetNext(U32(5)), new GetNext(U32(99)), new Delete(U32(9)), new Delete(U32(5)), new Lookup(U32(5)),
    ], orderedDump: false);

    [SkippableFact]
    public void CpumapMatchesKernel() => KernelDifferentialTests.Compare(Spec(BpfMapType.Cpumap, 4, 64),
    [
        new Lookup(U32(0)), new Update(U32(0), U32(192)), new Lookup(U32(0)), new Update(U32(0), U32(20000)),
        new Update(U32(0), U32(64), "noexist"), new Update(U32(63), U32(64)), new Update(U32(64), U32(64)),
        new Update(U32(0), U32(0)), new Lookup(U32(0)), new Delete(U32(1)), new Delete(U32(64)), new GetNext(U32(63)),
    ], orderedDump: true);

    [SkippableFact]
    public void XskmapMatchesKernel() => KernelDifferentialTests.Compare(Spec(BpfMapType.Xskmap, 4, 4),
    [
        new Lookup(U32(0)), new Delete(U32(0)), new Delete(U32(4)), new GetNext(null), new GetNext(U32(3)),
        new Update(U32(9), U32(0)),
    ], orderedDump: true);

    [Theory]
    [InlineData(BpfMapType.Devmap, 12, 8)]
    [InlineData(BpfMapType.DevmapHash, 4, 0)]
    [InlineData(BpfMapType.Cpumap, 2, 4)]
    [InlineData(BpfMapType.Xskmap, 8, 4)]
    public void BadShapesAreRefusedWithEinval(BpfMapType type, int valueSize, int entries)
    {
        var e = Assert.Throws<BpfMapCreateException>(() => VmMapFactory.Create(Spec(type, valueSize, entries), new TestResolver(), 2));
        Assert.Equal(Errno.EINVAL, e.ErrorNumber);
    }

    [Theory]
    [InlineData(BpfMapType.CgroupArray, "cgroup_array")]
    [InlineData(BpfMapType.Sockmap, "sockmap")]
    [InlineData(BpfMapType.Sockhash, "sockhash")]
    [InlineData(BpfMapType.CgroupStorage, "cgroup_storage")]
    [InlineData(BpfMapType.ReuseportSockarray, "reuseport_sockarray")]
    public void TypesWithoutAVmMeaningAreRefusedByName(BpfMapType type, string name)
    {
        var e = Assert.Throws<BpfMapCreateException>(() => VmMapFactory.Create(Spec(type, 8, 4), new TestResolver(), 2));
        Assert.Equal(Errno.EOPNOTSUPP, e.ErrorNumber);
        Assert.Contains($"map type {name} is not supported by the VM: ", e.Message);
    }
}
