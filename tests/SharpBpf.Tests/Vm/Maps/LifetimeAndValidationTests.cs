using SharpBpf.Maps;
using SharpBpf.Objects;
using SharpBpf.Vm;
using SharpBpf.Vm.Maps;
using static SharpBpf.Tests.Vm.Maps.VmMapTestSpecs;

namespace SharpBpf.Tests.Vm.Maps;

public sealed unsafe class LifetimeAndValidationTests
{
    public static TheoryData<BpfMapType, int, int, uint> EveryType() => new()
    {
        { BpfMapType.Hash, 4, 8, 0 }, { BpfMapType.PercpuHash, 4, 8, 0 }, { BpfMapType.LruHash, 4, 8, 0 },
        { BpfMapType.LruPercpuHash, 4, 8, 0 }, { BpfMapType.Array, 4, 8, 0 }, { BpfMapType.PercpuArray, 4, 8, 0 },
        { BpfMapType.LpmTrie, 8, 8, 1 }, { BpfMapType.Queue, 0, 8, 0 }, { BpfMapType.Stack, 0, 8, 0 },
        { BpfMapType.BloomFilter, 0, 8, 0 }, { BpfMapType.ProgArray, 4, 4, 0 }, { BpfMapType.PerfEventArray, 4, 4, 0 },
    };

    [Theory]
    [MemberData(nameof(EveryType))]
    public void DisposedMapsThrowObjectDisposed(BpfMapType type, int key, int value, uint flags)
    {
        var map = Create(type, key, value, 4, flags);
        map.Dispose();
        map.Dispose();
        Assert.Empty(map.Regions);
        Assert.Throws<ObjectDisposedException>(() => map.TryLookup(new byte[key], new byte[map.UserValueSize]));
        Assert.Throws<ObjectDisposedException>(() => map.Update(new byte[key], new byte[map.UserValueSize]));
        Assert.Throws<ObjectDisposedException>(() => map.TryGetNextKey([], new byte[key]));
        byte* buffer = stackalloc byte[16];
        if (type is not (BpfMapType.ProgArray or BpfMapType.PerfEventArray or BpfMapType.Queue or BpfMapType.Stack or BpfMapType.BloomFilter))
            Assert.Throws<ObjectDisposedException>(() => { _ = (nint)map.LookupFromProgram(buffer, 0); });
        if (type is BpfMapType.Queue or BpfMapType.Stack or BpfMapType.BloomFilter)
            Assert.Throws<ObjectDisposedException>(() => map.PushFromProgram(buffer, 0));
    }

    [Fact]
    public void WrongBufferSizesAreTypedErrors()
    {
        using var map = Create(BpfMapType.PercpuHash, 4, 4, 4, cpus: 2);
        var e = Assert.Throws<BpfMapException>(() => map.Update(U32(1), U32(1)));
        Assert.Equal(Errno.EINVAL, e.ErrorNumber);
        Assert.Contains("16-byte values", e.Message);
        e = Assert.Throws<BpfMapException>(() => map.TryLookup(new byte[3], new byte[16]));
        Assert.Contains("the map's keys are 4", e.Message);
        var typed = new BpfMap<uint, ulong>(Create(BpfMapType.Hash, 4, 8, 4));
        typed[3] = 30;
        typed[1] = 10;
        Assert.Equal([3u, 1u], typed.Keys);                               // insertion order
        var next = new byte[4];
        Assert.True(typed.Raw.TryGetNextKey(U32(77), next));             // a missing key restarts at the first
        Assert.Equal(3u, BitConverter.ToUInt32(next));
        Assert.Equal(30UL, typed[3]);
    }

    [Fact]
    public void AccessFlagsAreEnforcedForUserSpace()
    {
        using var ro = Create(BpfMapType.Hash, 4, 4, 4, (uint)BpfMapCreateFlags.ReadOnly);
        Assert.Equal(Errno.EPERM, Assert.Throws<BpfMapException>(() => ro.Update(U32(1), U32(1))).ErrorNumber);
        using var wo = Create(BpfMapType.Hash, 4, 4, 4, (uint)BpfMapCreateFlags.WriteOnly);
        wo.Update(U32(1), U32(1));
        Assert.Equal(Errno.EPERM, Assert.Throws<BpfMapException>(() => wo.TryLookup(U32(1), new byte[4])).ErrorNumber);
        using var roProg = Create(BpfMapType.Hash, 4, 4, 4, (uint)BpfMapCreateFlags.ReadOnlyProgram);
        Assert.False(Assert.Single(roProg.Regions).Writable);
        Assert.Equal(Errno.EINVAL, Assert.Throws<BpfMapException>(() => roProg.Update(U32(1), U32(1), MapUpdateFlags.Lock)).ErrorNumber);
    }

    [Theory]
    [InlineData(BpfMapType.LpmTrie, 8, 4, 4, 0u, 0ul, Errno.EINVAL)]             // needs BPF_F_NO_PREALLOC
    [InlineData(BpfMapType.Ringbuf, 0, 0, 4096 + 1, 0u, 0ul, Errno.EINVAL)]
    [InlineData(BpfMapType.Ringbuf, 0, 0, 1024, 0u, 0ul, Errno.EINVAL)]            // not a page multiple
    [InlineData(BpfMapType.BloomFilter, 0, 4, 4, 0u, 16ul, Errno.EINVAL)]
    [InlineData(BpfMapType.Queue, 4, 4, 4, 0u, 0ul, Errno.EINVAL)]
    [InlineData(BpfMapType.Hash, 4, 4, 4, 0u, 3ul, Errno.EINVAL)]                 // map_extra on a hash
    [InlineData(BpfMapType.ProgArray, 4, 8, 4, 0u, 0ul, Errno.EINVAL)]
    [InlineData(BpfMapType.LruHash, 4, 4, 4, 1u, 0ul, Errno.ENOTSUPP)]
    [InlineData(BpfMapType.Hash, 4, 4, 1 << 30, 0u, 0ul, Errno.ENOMEM)]           // over the VM's memory cap
    [InlineData(BpfMapType.Sockmap, 4, 4, 4, 0u, 0ul, Errno.EOPNOTSUPP)]
    public void FactoryRejectsWhatTheKernelRejects(BpfMapType type, int key, int value, int entries, uint flags, ulong extra, int errno)
    {
        var spec = Spec(type, key, value, entries, flags);
        spec.MapExtra = extra;
        var e = Assert.Throws<BpfMapCreateException>(() => VmMapFactory.Create(spec, new TestResolver(), 2));
        Assert.Equal(Errno.Name(errno), Errno.Name(e.ErrorNumber));
    }

    [Fact]
    public void ConcurrentUpdatesFromManyThreadsStayConsistent()
    {
        using var map = Create(BpfMapType.Hash, 4, 8, 1024);
        Parallel.For(0, 4, t =>
        {
            var value = new byte[8];
            for (uint i = 0; i < 2000; i++)
            {
                uint k = (uint)(t * 256) + i % 256;
                uint key = k;
                if (i % 3 == 2)
                    map.Delete(U32(k));
                else if (i % 2 == 0)
                    map.Update(U32(k), U64(k));
                else
                {
                    byte* p = map.LookupFromProgram((byte*)&key, t);
                    if (p is null)
                        map.UpdateFromProgram((byte*)&key, (byte*)&key, 0, t);
                }
            }
        });
        var next = new byte[4];
        int count = 0;
        byte[]? prev = null;
        while (map.TryGetNextKey(prev ?? [], next))
        {
            count++;
            prev = (byte[])next.Clone();
        }
        Assert.Equal(((VmHashMap)map).Count, count);
        Assert.InRange(count, 1, 1024);
    }
}
