using System.Buffers.Binary;
using SharpBpf.Linux;
using SharpBpf.Tests.Support;
using SharpBpf.Maps;

namespace SharpBpf.Tests.Linux;

public class KernelMapTests
{
    [SkippableTheory]
    [InlineData(BpfMapType.Hash, 4, 8, 16, 0u, "sb_shape_hash")]
    [InlineData(BpfMapType.Array, 4, 12, 3, 1u << 10 /* BPF_F_MMAPABLE */, "sb_shape_array")]
    [InlineData(BpfMapType.PercpuHash, 8, 3, 5, 1u /* BPF_F_NO_PREALLOC */, "sb_shape_pcpu")]
    [InlineData(BpfMapType.Queue, 0, 8, 4, 0u, "sb_shape_queue")]
    [InlineData(BpfMapType.Ringbuf, 0, 0, 4096, 0u, "sb_shape_ring")]
    [InlineData(BpfMapType.Hash, 4, 4, 2, 1u << 3 /* BPF_F_RDONLY: per fd, not kept */, "sb_shape_rdonly")]
    [InlineData(BpfMapType.Array, 4, 4, 1, 0u, "sb-shape.with-a-long/name")]
    public void CreatedMapShapeIsWhatTheKernelReports(BpfMapType type, int keySize, int valueSize, int maxEntries, uint flags, string name)
    {
        Requirements.Kernel();
        using var map = KernelMap.Create(name, type, keySize, valueSize, maxEntries, flags);
        var info = KernelObjectInfo.GetMapInfo(map.Fd);
        Assert.Equal((info.Name, info.Type, info.KeySize, info.ValueSize, info.MaxEntries, info.Flags),
            (map.Name, map.Type, map.KeySize, map.ValueSize, map.MaxEntries, map.Flags));
        Assert.Equal(info, map.Info);
        Assert.Equal(info.Id, map.Id);
    }

    [SkippableFact]
    public void HashMapUpdateLookupDeleteAndIterate()
    {
        Requirements.Kernel();
        using var map = KernelMap.Create("sb_hash", BpfMapType.Hash, 4, 8, 16);
        Assert.Equal("sb_hash", map.Name);
        Assert.True(map.Id > 0);
        Assert.Equal(BpfMapType.Hash, map.Type);

        var typed = new BpfMap<uint, ulong>(map);
        typed[1] = 42;
        typed[2] = 0xffff;
        Assert.Equal(42UL, typed[1]);
        Assert.False(typed.TryGetValue(3, out _));
        Assert.Equal([1u, 2u], typed.Keys.Order());

        var e = Assert.Throws<BpfMapException>(() => typed.Update(1, 7, MapUpdateFlags.NoExist));
        Assert.Equal(Errno.EEXIST, e.ErrorNumber);
        Assert.True(typed.Delete(1));
        Assert.False(typed.Delete(1));
        Assert.Single(typed.Keys);

        var value = new byte[8];
        Assert.True(map.TryLookupAndDelete(BitConverter.GetBytes(2u), value));
        Assert.Equal(0xffffUL, BitConverter.ToUInt64(value));
        Assert.Empty(typed.Keys);
    }

    [SkippableFact]
    public void WrongSizesAreArgumentErrorsNotKernelErrors()
    {
        Requirements.Kernel();
        using var map = KernelMap.Create("sb_sizes", BpfMapType.Array, 4, 8, 4);
        Assert.Throws<ArgumentException>(() => map.Update(new byte[3], new byte[8]));
        Assert.Throws<ArgumentException>(() => map.TryLookup(new byte[4], new byte[4]));
    }

    [SkippableFact]
    public void FullHashMapReportsE2BigWithHint()
    {
        Requirements.Kernel();
        using var map = KernelMap.Create("sb_full", BpfMapType.Hash, 4, 4, 2);
        var typed = new BpfMap<int, int>(map);
        typed[1] = 1;
        typed[2] = 2;
        var e = Assert.Throws<BpfMapException>(() => typed[3] = 3);
        Assert.Equal(Errno.E2BIG, e.ErrorNumber);
        Assert.Contains("full", e.Message);
    }

    [SkippableFact]
    public void PerCpuValuesUseRound8TimesPossibleCpus()
    {
        Requirements.Kernel();
        using var map = KernelMap.Create("sb_pcpu", BpfMapType.PercpuArray, 4, 4, 2);
        int cpus = PossibleCpus.Count;
        Assert.Equal(8 * cpus, map.UserValueSize);
        var value = new byte[map.UserValueSize];
        for (int cpu = 0; cpu < cpus; cpu++)
            BinaryPrimitives.WriteInt32LittleEndian(value.AsSpan(cpu * 8), 100 + cpu);
        map.Update(BitConverter.GetBytes(1), value);
        var read = new byte[map.UserValueSize];
        Assert.True(map.TryLookup(BitConverter.GetBytes(1), read));
        for (int cpu = 0; cpu < cpus; cpu++)
            Assert.Equal(100 + cpu, BinaryPrimitives.ReadInt32LittleEndian(read.AsSpan(cpu * 8)));
        Assert.Throws<ArgumentException>(() => map.Update(BitConverter.GetBytes(1), new byte[4]));
    }

    [SkippableFact]
    public void BatchUpdateLookupAndDelete()
    {
        Requirements.Kernel();
        const int n = 1000;
        using var map = KernelMap.Create("sb_batch", BpfMapType.Hash, 4, 8, n);
        var keys = new byte[n * 4];
        var values = new byte[n * 8];
        for (int i = 0; i < n; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(keys.AsSpan(i * 4), i);
            BinaryPrimitives.WriteInt64LittleEndian(values.AsSpan(i * 8), i * 10L);
        }
        Assert.Equal(n, map.UpdateBatch(keys, values, n));

        var seen = new Dictionary<int, long>();
        var cursor = new MapBatchCursor();
        var outKeys = new byte[64 * 4];
        var outValues = new byte[64 * 8];
        while (!cursor.Done)
        {
            int got = map.LookupBatch(cursor, outKeys, outValues);
            for (int i = 0; i < got; i++)
                seen.Add(BinaryPrimitives.ReadInt32LittleEndian(outKeys.AsSpan(i * 4)), BinaryPrimitives.ReadInt64LittleEndian(outValues.AsSpan(i * 8)));
        }
        Assert.Equal(n, seen.Count);
        Assert.All(seen, kv => Assert.Equal(kv.Key * 10L, kv.Value));

        Assert.Equal(n, map.Entries(batchSize: 100).Count());
        Assert.Equal(n / 2, map.DeleteBatch(keys, n / 2));
        Assert.Equal(n - n / 2, map.Entries().Count());
    }

    [SkippableFact]
    public void EntriesWalksMapsWithoutBatchSupport()
    {
        Requirements.Kernel();
        using var map = KernelMap.Create("sb_lpm", BpfMapType.LpmTrie, 8, 4, 16, flags: 1 /* BPF_F_NO_PREALLOC */);
        var key = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(key, 24);
        key[4] = 10; key[5] = 1; key[6] = 2;
        map.Update(key, BitConverter.GetBytes(7));
        var entry = Assert.Single(map.Entries());
        Assert.Equal(key, entry.Key);
        Assert.Equal(7, BitConverter.ToInt32(entry.Value));
    }

    [SkippableFact]
    public void FreezeMakesTheMapReadOnlyForUserSpace()
    {
        Requirements.Kernel();
        using var map = KernelMap.Create("sb_frozen", BpfMapType.Array, 4, 4, 1);
        map.Update(BitConverter.GetBytes(0), BitConverter.GetBytes(5));
        Assert.False(map.IsFrozen);
        map.Freeze();
        Assert.True(map.IsFrozen);
        var e = Assert.Throws<BpfMapException>(() => map.Update(BitConverter.GetBytes(0), BitConverter.GetBytes(6)));
        Assert.Equal(Errno.EPERM, e.ErrorNumber);
        var value = new byte[4];
        Assert.True(map.TryLookup(BitConverter.GetBytes(0), value));
        Assert.Equal(5, BitConverter.ToInt32(value));
    }

    [SkippableFact]
    public void QueueMapsPushAndPopWithEmptyKeys()
    {
        Requirements.Kernel();
        using var map = KernelMap.Create("sb_queue", BpfMapType.Queue, 0, 4, 4);
        map.Update([], BitConverter.GetBytes(1));
        map.Update([], BitConverter.GetBytes(2));
        var value = new byte[4];
        Assert.True(map.TryLookupAndDelete([], value));
        Assert.Equal(1, BitConverter.ToInt32(value));
    }

    [SkippableFact]
    public void PinAndOpenPinnedInAPrivateBpfFs()
    {
        using var fs = new PrivateBpfFs();
        var path = Path.Combine(fs.Path, "pinned_map");
        uint id;
        using (var map = KernelMap.Create("sb_pin", BpfMapType.Array, 4, 4, 2))
        {
            map.Update(BitConverter.GetBytes(1), BitConverter.GetBytes(99));
            map.Pin(path);
            id = map.Id;
        }
        using var again = KernelMap.OpenPinned(path);
        Assert.Equal(id, again.Id);
        var value = new byte[4];
        Assert.True(again.TryLookup(BitConverter.GetBytes(1), value));
        Assert.Equal(99, BitConverter.ToInt32(value));
        using var byId = KernelMap.OpenById(id);
        Assert.Equal("sb_pin", byId.Name);
        File.Delete(path);
    }

    [SkippableFact]
    public void CreateRejectionNamesTheCommandAndErrno()
    {
        Requirements.Kernel();
        var e = Assert.Throws<BpfSyscallException>(() => KernelMap.Create("sb_bad", BpfMapType.Array, 3, 4, 1));
        Assert.Equal(BpfCommand.MapCreate, e.Command);
        Assert.Equal(Errno.EINVAL, e.ErrorNumber);
        Assert.Contains("BPF_MAP_CREATE", e.Message);
        Assert.Contains("map 'sb_bad'", e.Message);
    }

    [Fact]
    public void PossibleCpuListsParse()
    {
        Assert.Equal(4, PossibleCpus.Parse("0-3\n"));
        Assert.Equal(9, PossibleCpus.Parse("0-3,5,7-8"));
        Assert.Equal(1, PossibleCpus.Parse("0"));
        Assert.Throws<BpfFormatException>(() => PossibleCpus.Parse("x"));
    }
}
