using SharpBpf.Objects;
using SharpBpf.Tests.Support;
using SharpBpf.Vm;
using SharpBpf.Vm.Maps;
using static SharpBpf.Tests.Vm.Maps.MapOp;

namespace SharpBpf.Tests.Vm.Maps;

/// <summary>
/// The kernel is the oracle: the same user-space operations on a VM map and on a real kernel map (via bpftool)
/// must give the same errno and the same bytes.
/// </summary>
public sealed class KernelDifferentialTests
{
    private static readonly int PossibleCpus = ReadPossibleCpus();

    private static byte[] U32(uint v) => BitConverter.GetBytes(v);
    private static byte[] U64(ulong v) => BitConverter.GetBytes(v);

    private static MapSpec Spec(BpfMapType type, int key, int value, int entries, uint flags = 0, ulong extra = 0) =>
        new() { Name = $"vmt_{type.ToString().ToLowerInvariant()}"[..Math.Min(15, 4 + type.ToString().Length)], Type = type, KeySize = key, ValueSize = value, MaxEntries = entries, Flags = flags, MapExtra = extra };

    /// <summary>Runs <paramref name="ops"/> on both engines and asserts identical transcripts; returns both maps' final dumps.</summary>
    internal static void Compare(MapSpec spec, IEnumerable<MapOp> ops, bool orderedDump)
    {
        Requirements.Kernel();
        Requirements.Tool("bpftool");
        using var fs = new BpffsMount();
        var (kernel, errno) = BpftoolMap.Create(fs, spec);
        Assert.True(kernel is not null, $"kernel refused {spec}: {Errno.Name(errno)}");
        using var vm = VmMapFactory.Create(spec, new TestResolver(), PossibleCpus);
        var opList = ops.ToList();
        var expected = opList.Select(o => o.OnKernel(kernel!)).ToList();
        var actual = opList.Select(o => o.OnVm(vm)).ToList();
        Assert.Equal(expected, actual);

        if (spec.Type is BpfMapType.Queue or BpfMapType.Stack or BpfMapType.BloomFilter or BpfMapType.Devmap or BpfMapType.Cpumap or BpfMapType.Xskmap)
            return; // (devmaps: empty slots are walked but not found)
        var kernelDump = kernel!.Dump().Select(e => Convert.ToHexString(e.Key) + "=" + Convert.ToHexString(e.Value)).ToList();
        var vmDump = DumpVm(vm);
        if (!orderedDump)
        {
            kernelDump.Sort(StringComparer.Ordinal);
            vmDump.Sort(StringComparer.Ordinal);
        }
        Assert.Equal(kernelDump, vmDump);
    }

    private static List<string> DumpVm(IVmMap vm)
    {
        var lines = new List<string>();
        var key = new byte[vm.KeySize];
        var value = new byte[vm.UserValueSize];
        byte[]? prev = null;
        while (vm.TryGetNextKey(prev ?? [], key))
        {
            Assert.True(vm.TryLookup(key, value));
            lines.Add(Convert.ToHexString(key) + "=" + Convert.ToHexString(value));
            prev = (byte[])key.Clone();
        }
        return lines;
    }

    private static IEnumerable<MapOp> HashScript(Func<uint, byte[]> value)
    {
        yield return new GetNext(null);
        yield return new Lookup(U32(1));
        yield return new Update(U32(1), value(10));
        yield return new Update(U32(1), value(11), "noexist");
        yield return new Update(U32(2), value(20), "exist");
        yield return new Update(U32(2), value(21), "noexist");
        yield return new Update(U32(1), value(12), "exist");
        yield return new Lookup(U32(1));
        yield return new Update(U32(3), value(30));
        yield return new Update(U32(4), value(40));
        yield return new Update(U32(5), value(50));              // full: E2BIG
        yield return new Update(U32(4), value(41));              // existing key in a full map
        yield return new Delete(U32(9));
        yield return new Delete(U32(2));
        yield return new Lookup(U32(2));
        yield return new Update(U32(5), value(51), "noexist");
        yield return new Update(U32(6), value(60));              // full again
        yield return new Lookup(U32(5));
    }

    [SkippableFact]
    public void HashMatchesKernel() =>
        Compare(Spec(BpfMapType.Hash, 4, 8, 4), HashScript(v => U64(v)), orderedDump: false);

    [SkippableFact]
    public void HashWithOddValueSizeMatchesKernel() =>
        Compare(Spec(BpfMapType.Hash, 4, 3, 4), HashScript(v => [(byte)v, 0xAA, 0x55]), orderedDump: false);

    [SkippableFact]
    public void PerCpuHashMatchesKernel() =>
        Compare(Spec(BpfMapType.PercpuHash, 4, 4, 4), HashScript(v => U32(v)), orderedDump: false);

    /// <summary>Random updates (any/noexist/exist), deletes and lookups over a small key space, so the map fills and empties.</summary>
    private static IEnumerable<MapOp> RandomScript(int seed, int keySpace, int steps, int valueSize)
    {
        var rng = new Random(seed);
        for (int i = 0; i < steps; i++)
        {
            var key = U32((uint)rng.Next(keySpace));
            var value = new byte[valueSize];
            rng.NextBytes(value);
            yield return rng.Next(6) switch
            {
                0 or 1 => new Update(key, value, "any"),
                2 => new Update(key, value, "noexist"),
                3 => new Update(key, value, "exist"),
                4 => new Delete(key),
                _ => new Lookup(key),
            };
        }
    }

    [SkippableTheory]
    [InlineData(BpfMapType.Hash, 6)]
    [InlineData(BpfMapType.PercpuHash, 12)]
    [InlineData(BpfMapType.Array, 5)]
    [InlineData(BpfMapType.PercpuArray, 3)]
    public void RandomSequencesMatchKernel(BpfMapType type, int valueSize) =>
        Compare(Spec(type, 4, valueSize, 5), RandomScript((int)type, 8, 80, valueSize).ToList(), orderedDump: type is BpfMapType.Array or BpfMapType.PercpuArray);

    [SkippableFact]
    public void HashGetNextOfMissingKeyRestartsLikeKernel()
    {
        // With one key the kernel's (bucket) order and ours (insertion) agree, so the restart itself is compared.
        var ops = new MapOp[] { new GetNext(U32(9)), new Update(U32(1), U64(1)), new GetNext(U32(9)), new GetNext(U32(1)), new GetNext(null) };
        Compare(Spec(BpfMapType.Hash, 4, 8, 4), ops, orderedDump: false);
        Compare(Spec(BpfMapType.LruPercpuHash, 4, 8, 4), ops, orderedDump: false);
    }

    [SkippableFact]
    public void ArrayMatchesKernel()
    {
        var ops = new MapOp[]
        {
            new GetNext(null), new GetNext(U32(0)), new GetNext(U32(2)), new GetNext(U32(3)), new GetNext(U32(100)),
            new Lookup(U32(1)), new Lookup(U32(3)),
            new Update(U32(1), U64(7)), new Update(U32(1), U64(8), "noexist"), new Update(U32(2), U64(9), "exist"),
            new Update(U32(3), U64(9)), new Update(U32(3), U64(9), "exist"),
            new Delete(U32(1)), new Delete(U32(5)), new Lookup(U32(1)), new Lookup(U32(2)),
        };
        Compare(Spec(BpfMapType.Array, 4, 8, 3), ops, orderedDump: true);
    }

    [SkippableFact]
    public void PerCpuArrayMatchesKernel()
    {
        var ops = new MapOp[]
        {
            new Lookup(U32(0)), new Update(U32(0), [1, 2, 3, 4, 5]), new Update(U32(1), [9, 9, 9, 9, 9], "noexist"),
            new Update(U32(2), [1, 1, 1, 1, 1]), new Lookup(U32(0)), new Delete(U32(0)), new GetNext(U32(1)),
        };
        Compare(Spec(BpfMapType.PercpuArray, 4, 5, 2), ops, orderedDump: true);
    }

    [SkippableFact]
    public void LruHashMatchesKernelUntilFull()
    {
        // Below max_entries the LRU map behaves as a hash map; eviction itself is checked separately (it is approximate in the kernel).
        var ops = HashScript(v => U64(v)).Take(9).Concat([new Update(U32(1), U64(1), "exist")]);
        Compare(Spec(BpfMapType.LruHash, 4, 8, 16), ops, orderedDump: false);
        Compare(Spec(BpfMapType.LruPercpuHash, 4, 8, 16), ops, orderedDump: false);
    }

    [SkippableFact]
    public void LruHashEvictsInsteadOfFailingLikeKernel()
    {
        Requirements.Kernel();
        Requirements.Tool("bpftool");
        var spec = Spec(BpfMapType.LruHash, 4, 8, 8);
        using var fs = new BpffsMount();
        var (kernel, _) = BpftoolMap.Create(fs, spec);
        using var vm = VmMapFactory.Create(spec, new TestResolver(), PossibleCpus);
        for (uint i = 0; i < 12; i++)
        {
            Assert.Equal(0, kernel!.Update(U32(i), U64(i)));
            vm.Update(U32(i), U64(i));
        }
        var kernelKeys = kernel!.Dump().Count;
        var vmKeys = DumpVm(vm);
        Assert.InRange(kernelKeys, 1, 8);
        Assert.Equal(8, vmKeys.Count);
        // The VM evicts exactly the least recently used: the first four.
        Assert.Equal(Enumerable.Range(4, 8).Select(i => Convert.ToHexString(U32((uint)i)) + "=" + Convert.ToHexString(U64((ulong)i))).Order(),
            vmKeys.Order());
        Assert.Equal(0, kernel.Lookup(U32(11)).Errno);
    }

    [SkippableFact]
    public void PerCpuLruListsRoundMaxEntriesLikeKernel()
    {
        Requirements.Kernel();
        Requirements.Tool("bpftool");
        var spec = Spec(BpfMapType.LruHash, 4, 8, 3, flags: (uint)BpfMapCreateFlags.NoCommonLru);
        using var fs = new BpffsMount();
        var (kernel, _) = BpftoolMap.Create(fs, spec);
        using var vm = VmMapFactory.Create(spec, new TestResolver(), PossibleCpus);
        Assert.Equal(kernel!.MaxEntries(), vm.MaxEntries);
    }

    [SkippableFact]
    public void QueueMatchesKernel()
    {
        var ops = new MapOp[]
        {
            new Pop(), new Peek(), new Push(U32(1)), new Push(U32(2)), new Push(U32(3)), new Push(U32(3), "noexist"),
            new Peek(), new Pop(), new Push(U32(4)), new Pop(), new Pop(), new Pop(), new GetNext(null),
            new Lookup([]),
        };
        Compare(Spec(BpfMapType.Queue, 0, 4, 3), ops, orderedDump: true);
    }

    [SkippableFact]
    public void StackMatchesKernel()
    {
        var ops = new MapOp[]
        {
            new Pop(), new Push(U32(1)), new Push(U32(2)), new Push(U32(3)), new Peek(), new Pop(), new Pop(),
            new Push(U32(5)), new Pop(), new Pop(), new Pop(), new Push(U32(6)), new Push(U32(7)), new Push(U32(8)), new Push(U32(9), "exist"), new Pop(), new Pop(), new Pop(),
        };
        Compare(Spec(BpfMapType.Stack, 0, 4, 3), ops, orderedDump: true);
    }

    [SkippableFact]
    public void BloomFilterPushMatchesKernel()
    {
        var ops = new MapOp[] { new Push(U32(1)), new Push(U32(2), "exist"), new Push(U32(3)), new GetNext(null) };
        Compare(Spec(BpfMapType.BloomFilter, 0, 4, 16), ops, orderedDump: true);
    }

    public static TheoryData<BpfMapType, int, int, int, uint, ulong> CreateCases() => new()
    {
        { BpfMapType.Hash, 4, 8, 4, 0, 0 },
        { BpfMapType.Hash, 0, 8, 4, 0, 0 },
        { BpfMapType.Hash, 4, 0, 4, 0, 0 },
        { BpfMapType.Hash, 4, 8, 0, 0, 0 },
        { BpfMapType.Hash, 4, 8, 4, 1, 0 },          // NO_PREALLOC is fine
        { BpfMapType.Hash, 4, 8, 4, 2, 0 },          // NO_COMMON_LRU on a plain hash
        { BpfMapType.Hash, 4, 8, 4, 1024, 0 },       // MMAPABLE
        { BpfMapType.Hash, 4, 8, 4, 128 | 256, 0 },  // RDONLY_PROG|WRONLY_PROG
        { BpfMapType.Hash, 600, 8, 4, 0, 0 },
        { BpfMapType.Hash, 4, 5000000, 4, 0, 0 },
        { BpfMapType.PercpuHash, 4, 40000, 4, 0, 0 },
        { BpfMapType.LruHash, 4, 8, 4, 1, 0 },
        { BpfMapType.LruHash, 4, 8, 4, 2, 0 },
        { BpfMapType.Array, 8, 8, 4, 0, 0 },
        { BpfMapType.Array, 4, 8, 4, 1, 0 },
        { BpfMapType.Array, 4, 8, 4, 1024, 0 },
        { BpfMapType.PercpuArray, 4, 8, 4, 1024, 0 },
        { BpfMapType.Array, 4, 8, 4, 2048, 0 },
        { BpfMapType.PercpuArray, 4, 40000, 4, 0, 0 },
        { BpfMapType.LpmTrie, 8, 8, 4, 1, 0 },
        { BpfMapType.LpmTrie, 8, 8, 4, 0, 0 },
        { BpfMapType.LpmTrie, 4, 8, 4, 1, 0 },
        { BpfMapType.LpmTrie, 261, 8, 4, 1, 0 },
        { BpfMapType.LpmTrie, 260, 8, 4, 1, 0 },
        { BpfMapType.Queue, 0, 8, 4, 0, 0 },
        { BpfMapType.Queue, 4, 8, 4, 0, 0 },
        { BpfMapType.Stack, 0, 8, 0, 0, 0 },
        { BpfMapType.Stack, 0, 8, 4, 1, 0 },
        { BpfMapType.BloomFilter, 0, 8, 4, 0, 0 },
        { BpfMapType.BloomFilter, 4, 8, 4, 0, 0 },
        { BpfMapType.BloomFilter, 0, 8, 4, 1, 0 },
        { BpfMapType.ProgArray, 4, 4, 4, 0, 0 },
        { BpfMapType.ProgArray, 4, 8, 4, 0, 0 },
        { BpfMapType.ProgArray, 4, 4, 4, 128, 0 },   // RDONLY_PROG on an fd array
        { BpfMapType.PerfEventArray, 4, 4, 4, 2048, 0 },
        { BpfMapType.PerfEventArray, 8, 4, 4, 0, 0 },
        { BpfMapType.Hash, 4, 8, 4, 4, 0 },          // NUMA node 0
        { BpfMapType.PercpuHash, 4, 8, 4, 4, 0 },    // NUMA on per-CPU
        { BpfMapType.Hash, 4, 8, 4, 8 | 16, 0 },     // RDONLY|WRONLY
        { BpfMapType.Hash, 4, 8, 4, 64, 0 },         // ZERO_SEED
        { BpfMapType.Queue, 0, 5000000, 4, 0, 0 },
        { BpfMapType.Ringbuf, 0, 0, 4096, 0, 0 },
        { BpfMapType.Ringbuf, 0, 0, 4096 * 3, 0, 0 },
        { BpfMapType.Ringbuf, 0, 0, 2048, 0, 0 },
        { BpfMapType.Ringbuf, 4, 0, 4096, 0, 0 },
    };

    [SkippableTheory]
    [MemberData(nameof(CreateCases))]
    public void CreateValidationMatchesKernel(BpfMapType type, int key, int value, int entries, uint flags, ulong extra)
    {
        Requirements.Kernel();
        Requirements.Tool("bpftool");
        var spec = Spec(type, key, value, entries, flags, extra);
        using var fs = new BpffsMount();
        var (_, kernelErrno) = BpftoolMap.Create(fs, spec);
        int vmErrno = 0;
        try
        {
            VmMapFactory.Create(spec, new TestResolver(), PossibleCpus).Dispose();
        }
        catch (BpfMapCreateException e)
        {
            vmErrno = e.ErrorNumber;
        }
        Assert.Equal(Errno.Name(kernelErrno), Errno.Name(vmErrno));
    }

    private static int ReadPossibleCpus()
    {
        // "0-1" or "0" or "0-3,5": count the CPUs the kernel sizes per-CPU values by.
        var text = File.Exists("/sys/devices/system/cpu/possible") ? File.ReadAllText("/sys/devices/system/cpu/possible").Trim() : "0";
        int n = 0;
        foreach (var part in text.Split(','))
        {
            var ends = part.Split('-').Select(int.Parse).ToArray();
            n += ends.Length == 2 ? ends[1] - ends[0] + 1 : 1;
        }
        return n;
    }
}
