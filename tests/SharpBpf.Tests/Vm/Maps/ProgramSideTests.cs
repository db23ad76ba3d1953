using SharpBpf.Maps;
using SharpBpf.Objects;
using SharpBpf.Vm;
using SharpBpf.Vm.Maps;
using static SharpBpf.Tests.Vm.Maps.VmMapTestSpecs;

namespace SharpBpf.Tests.Vm.Maps;

/// <summary>What the helpers see: pointers into the map's regions, per-CPU copies, read-only data, errno returns.</summary>
public sealed unsafe class ProgramSideTests
{
    [Fact]
    public void HashLookupReturnsAStableWritablePointerIntoTheRegion()
    {
        using var map = Create(BpfMapType.Hash, 4, 12, 8);
        uint key = 5;
        byte* value = stackalloc byte[12];
        Assert.True(map.LookupFromProgram((byte*)&key, 0) is null);
        Assert.Equal(0, map.UpdateFromProgram((byte*)&key, value, 0, 0));
        byte* p = map.LookupFromProgram((byte*)&key, 0);
        Assert.Contains(map.Regions, r => r.Contains((nint)p, 12) && r.Writable);
        Assert.Equal(0, (long)p % 8);
        p[11] = 0x5A;                                        // a program writing through its pointer
        var user = new byte[12];
        Assert.True(map.TryLookup(U32(5), user));
        Assert.Equal(0x5A, user[11]);
        for (uint k = 10; k < 15; k++)
            map.Update(U32(k), new byte[12]);
        Assert.Equal((nint)p, (nint)map.LookupFromProgram((byte*)&key, 0)); // other inserts do not move it
        Assert.Equal(-Errno.EEXIST, map.UpdateFromProgram((byte*)&key, value, 1, 0));
        key = 99;
        Assert.Equal(-Errno.ENOENT, map.UpdateFromProgram((byte*)&key, value, 2, 0));
        Assert.Equal(-Errno.ENOENT, map.DeleteFromProgram((byte*)&key));
        Assert.Equal(-Errno.EINVAL, map.UpdateFromProgram((byte*)&key, value, 3, 0));
        for (uint k = 20; k < 30; k++)
            map.UpdateFromProgram((byte*)&k, value, 0, 0);
        Assert.Equal(-Errno.E2BIG, map.UpdateFromProgram((byte*)&key, value, 0, 0));
        Assert.Equal(-Errno.EINVAL, map.PushFromProgram(value, 0));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(6)]
    public void LockFreeProgramLookupsStayRightWhileOtherKeysChurn(int keySize)
    {
        // Program-side lookups of a HASH map take no lock: a writer thread inserting and deleting other keys (in the same
        // buckets, in a small table) must never make them miss a present key, find an absent one or walk out of bounds.
        using var map = Create(BpfMapType.Hash, keySize, 8, 16);
        byte[] Key(uint k) { var b = new byte[keySize]; BitConverter.GetBytes(k).AsSpan(0, Math.Min(4, keySize)).CopyTo(b); return b; }
        for (uint k = 0; k < 8; k++)
            map.Update(Key(k), BitConverter.GetBytes((ulong)k));
        using var stop = new CancellationTokenSource();
        var writer = new Thread(() =>
        {
            uint n = 0;
            while (!stop.IsCancellationRequested)
            {
                uint k = 100 + n++ % 8;
                map.Update(Key(k), new byte[8]);
                map.Delete(Key(k));
            }
        });
        writer.Start();
        var deadline = DateTime.UtcNow.AddMilliseconds(300);
        long lookups = 0;
        while (DateTime.UtcNow < deadline)
        {
            for (uint k = 0; k < 8; k++)
            {
                fixed (byte* key = Key(k))
                {
                    byte* value = map.LookupFromProgram(key, 0);
                    Assert.True(value != null, $"present key {k} missed");
                    Assert.Equal(k, *(ulong*)value);
                }
                fixed (byte* absent = Key(50 + k))
                    Assert.True(map.LookupFromProgram(absent, 0) == null);
                lookups++;
            }
        }
        stop.Cancel();
        writer.Join();
        Assert.True(lookups > 0);
    }

    [Fact]
    public void PerCpuMapsKeepOneCopyPerCpu()
    {
        using var map = Create(BpfMapType.PercpuHash, 4, 4, 4, cpus: 3);
        Assert.Equal(24, map.UserValueSize);                 // round8(4) * 3
        uint key = 1, v = 0xAABBCCDD;
        Assert.Equal(0, map.UpdateFromProgram((byte*)&key, (byte*)&v, 0, 1));
        var user = new byte[24];
        Assert.True(map.TryLookup(U32(1), user));
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0xDD, 0xCC, 0xBB, 0xAA, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, user);
        Assert.Equal(0xAABBCCDDu, *(uint*)map.LookupFromProgram((byte*)&key, 1));
        Assert.Equal(0u, *(uint*)map.LookupFromProgram((byte*)&key, 2));

        using var array = Create(BpfMapType.PercpuArray, 4, 4, 2, cpus: 2);
        byte[] both = [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0];
        array.Update(U32(1), both);
        key = 1;
        Assert.Equal(1u, *(uint*)array.LookupFromProgram((byte*)&key, 0));
        Assert.Equal(2u, *(uint*)array.LookupFromProgram((byte*)&key, 1));
        key = 2;
        Assert.True(array.LookupFromProgram((byte*)&key, 0) is null);
    }

    [Fact]
    public void GlobalDataMapsAreInitialisedAndRodataIsReadOnly()
    {
        var resolver = new TestResolver();
        var rodata = new MapSpec
        {
            Name = ".rodata", Type = BpfMapType.Array, KeySize = 4, ValueSize = 6, MaxEntries = 1,
            DataSection = ".rodata", InitialValue = [1, 2, 3, 4, 5, 6], Flags = (uint)BpfMapCreateFlags.ReadOnlyProgram,
        };
        using var ro = VmMapFactory.Create(rodata, resolver, 2);
        Assert.False(Assert.Single(ro.Regions).Writable);
        uint zero = 0;
        Assert.Equal(6, ro.LookupFromProgram((byte*)&zero, 0)[5]);
        var e = Assert.Throws<BpfMapException>(() => ro.Update(U32(0), new byte[6]));
        Assert.Equal(Errno.EPERM, e.ErrorNumber);              // frozen, as libbpf leaves .rodata
        var value = new byte[6];
        Assert.True(ro.TryLookup(U32(0), value));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6 }, value);

        var data = new MapSpec { Name = ".data", Type = BpfMapType.Array, KeySize = 4, ValueSize = 4, MaxEntries = 1, DataSection = ".data", InitialValue = [9, 9, 9, 9] };
        using var rw = VmMapFactory.Create(data, resolver, 2);
        Assert.True(Assert.Single(rw.Regions).Writable);
        rw.Update(U32(0), [1, 1, 1, 1]);
        var bss = new MapSpec { Name = ".bss", Type = BpfMapType.Array, KeySize = 4, ValueSize = 4, MaxEntries = 1, DataSection = ".bss" };
        using var zeroed = VmMapFactory.Create(bss, resolver, 2);
        Assert.Equal(0u, *(uint*)zeroed.LookupFromProgram((byte*)&zero, 0));
    }

    [Fact]
    public void LruEvictsTheLeastRecentlyUsedByPrograms()
    {
        using var map = Create(BpfMapType.LruHash, 4, 4, 3);
        for (uint k = 1; k <= 3; k++)
            map.Update(U32(k), U32(k));
        uint one = 1;
        Assert.True(map.LookupFromProgram((byte*)&one, 0) is not null); // 1 is now the most recent
        Assert.True(map.TryLookup(U32(2), new byte[4]));                // user lookups do not count
        map.Update(U32(4), U32(4));                                      // evicts 2
        Assert.False(map.TryLookup(U32(2), new byte[4]));
        Assert.True(map.TryLookup(U32(1), new byte[4]));
        Assert.True(map.TryLookup(U32(3), new byte[4]));
        Assert.Equal(-Errno.EEXIST, map.UpdateFromProgram((byte*)&one, (byte*)&one, 1, 0));
    }

    [Fact]
    public void QueueStackAndBloomFromPrograms()
    {
        using var stack = Create(BpfMapType.Stack, 0, 4, 2);
        uint v = 1, out_ = 0;
        Assert.Equal(-Errno.ENOENT, stack.PopFromProgram((byte*)&out_));
        Assert.Equal(0, stack.PushFromProgram((byte*)&v, 0));
        v = 2;
        Assert.Equal(0, stack.PushFromProgram((byte*)&v, 0));
        v = 3;
        Assert.Equal(-Errno.E2BIG, stack.PushFromProgram((byte*)&v, 0));
        Assert.Equal(0, stack.PushFromProgram((byte*)&v, 2));            // BPF_EXIST drops the oldest (1)
        Assert.Equal(0, stack.PeekFromProgram((byte*)&out_));
        Assert.Equal(3u, out_);
        stack.PopFromProgram((byte*)&out_);
        stack.PopFromProgram((byte*)&out_);
        Assert.Equal(2u, out_);
        Assert.Equal(-Errno.ENOENT, stack.PopFromProgram((byte*)&out_));

        using var bloom = VmMapFactory.Create(new MapSpec { Name = "b", Type = BpfMapType.BloomFilter, ValueSize = 4, MaxEntries = 100, MapExtra = 3 }, new TestResolver(), 1);
        Assert.Equal(3, ((VmBloomFilter)bloom).HashCount);
        for (uint i = 0; i < 100; i += 2)
            Assert.Equal(0, bloom.PushFromProgram((byte*)&i, 0));
        for (uint i = 0; i < 100; i += 2)
            Assert.Equal(0, bloom.PeekFromProgram((byte*)&i));
        int falsePositives = 0;
        for (uint i = 1; i < 10000; i += 2)
            falsePositives += bloom.PeekFromProgram((byte*)&i) == 0 ? 1 : 0;
        Assert.InRange(falsePositives, 0, 1000);                          // ~ (1 - e^-kn/m)^k, well under 20%
        Assert.Equal(-Errno.EINVAL, bloom.PushFromProgram((byte*)&v, 1));
        Assert.True(bloom.TryLookup([], U32(4)));                         // user-space lookup = peek with the value
    }

    [Fact]
    public void LpmTrieLongestMatchFromPrograms()
    {
        using var trie = Create(BpfMapType.LpmTrie, 8, 4, 4, (uint)BpfMapCreateFlags.NoPrealloc);
        trie.Update([8, 0, 0, 0, 10, 0, 0, 0], U32(8));
        trie.Update([24, 0, 0, 0, 10, 1, 2, 0], U32(24));
        byte* key = stackalloc byte[] { 32, 0, 0, 0, 10, 1, 2, 3 };
        byte* v = trie.LookupFromProgram(key, 0);
        Assert.Equal(24u, *(uint*)v);
        Assert.Contains(trie.Regions, r => r.Contains((nint)v, 4));
        key[6] = 9;
        Assert.Equal(8u, *(uint*)trie.LookupFromProgram(key, 0));
        key[4] = 11;
        Assert.True(trie.LookupFromProgram(key, 0) is null);
    }

    [Fact]
    public void ArrayRegionCoversEveryElement()
    {
        using var map = Create(BpfMapType.Array, 4, 3, 5);
        var region = Assert.Single(map.Regions);
        Assert.Equal(5 * 8, region.Length);                                 // elements are round8(value_size) apart
        uint index = 4;
        byte* last = map.LookupFromProgram((byte*)&index, 0);
        Assert.True(region.Contains((nint)last, 3));
        Assert.Equal(-Errno.EINVAL, map.DeleteFromProgram((byte*)&index));
        index = 5;
        Assert.Equal(-Errno.E2BIG, map.UpdateFromProgram((byte*)&index, last, 0, 0));
    }
}
