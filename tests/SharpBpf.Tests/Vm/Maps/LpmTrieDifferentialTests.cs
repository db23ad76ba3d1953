using SharpBpf.Objects;
using SharpBpf.Tests.Support;
using SharpBpf.Vm.Maps;
using static SharpBpf.Tests.Vm.Maps.MapOp;

namespace SharpBpf.Tests.Vm.Maps;

/// <summary>LPM_TRIE against the kernel: longest-prefix lookups, exact deletes, flags, and get_next_key's post-order.</summary>
public sealed class LpmTrieDifferentialTests
{
    private static byte[] Key(uint prefixLen, params byte[] data) => [.. BitConverter.GetBytes(prefixLen), .. data];

    private static MapSpec Spec(int entries = 8) =>
        new() { Name = "vmt_lpm", Type = BpfMapType.LpmTrie, KeySize = 8, ValueSize = 4, MaxEntries = entries, Flags = 1 };

    private static void Compare(MapSpec spec, IEnumerable<MapOp> ops)
    {
        Requirements.Kernel();
        Requirements.Tool("bpftool");
        using var fs = new BpffsMount();
        var (kernel, errno) = BpftoolMap.Create(fs, spec);
        Assert.True(kernel is not null, $"kernel refused {spec}: {Errno.Name(errno)}");
        using var vm = VmMapFactory.Create(spec, new TestResolver(), 1);
        var list = ops.ToList();
        var expected = list.Select(o => o.OnKernel(kernel!)).ToList();
        var actual = list.Select(o => o.OnVm(vm)).ToList();
        for (int i = 0; i < list.Count; i++)
            Assert.True(expected[i] == actual[i], $"step {i}: kernel '{expected[i]}', VM '{actual[i]}'\n" + string.Join("\n", expected.Take(i + 1)));
    }

    /// <summary>Walks get_next_key from the start, then from every returned key, on both.</summary>
    private static IEnumerable<MapOp> Walk(IEnumerable<byte[]> keys) =>
        new MapOp[] { new GetNext(null) }.Concat(keys.Select(k => (MapOp)new GetNext(k)));

    [SkippableFact]
    public void LookupUpdateDeleteMatchKernel()
    {
        var ops = new MapOp[]
        {
            new Lookup(Key(32, 192, 168, 1, 1)),
            new Update(Key(16, 192, 168, 0, 0), [1, 0, 0, 0]),
            new Update(Key(24, 192, 168, 1, 0), [2, 0, 0, 0]),
            new Update(Key(24, 192, 168, 1, 99), [3, 0, 0, 0], "noexist"),   // same prefix, other host bits
            new Update(Key(24, 192, 168, 1, 7), [3, 0, 0, 0], "exist"),
            new Update(Key(8, 10, 0, 0, 0), [4, 0, 0, 0], "exist"),
            new Update(Key(33, 10, 0, 0, 0), [4, 0, 0, 0]),
            new Update(Key(0, 0, 0, 0, 0), [5, 0, 0, 0]),
            new Lookup(Key(32, 192, 168, 1, 1)),
            new Lookup(Key(32, 192, 168, 2, 1)),
            new Lookup(Key(32, 10, 1, 2, 3)),
            new Lookup(Key(20, 192, 168, 1, 1)),
            new Lookup(Key(24, 192, 168, 0, 0)),
            new Delete(Key(16, 192, 168, 9, 9)),
            new Delete(Key(17, 192, 168, 0, 0)),
            new Delete(Key(40, 192, 168, 0, 0)),
            new Lookup(Key(32, 192, 168, 2, 1)),
            new Delete(Key(0, 1, 2, 3, 4)),
            new Lookup(Key(32, 10, 1, 2, 3)),
            new Lookup(Key(32, 192, 168, 1, 200)),
        };
        Compare(Spec(), ops);
    }

    [SkippableFact]
    public void FullTrieAndReplacementMatchKernel()
    {
        var ops = new MapOp[]
        {
            new Update(Key(8, 1, 0, 0, 0), [1, 0, 0, 0]),
            new Update(Key(8, 2, 0, 0, 0), [2, 0, 0, 0]),
            new Update(Key(8, 3, 0, 0, 0), [3, 0, 0, 0]),
            new Update(Key(8, 2, 0, 0, 0), [9, 0, 0, 0]),     // replace in a full trie
            new Update(Key(6, 0, 0, 0, 0), [4, 0, 0, 0]),     // a new prefix: ENOSPC
            new Update(Key(6, 0, 0, 0, 0), [4, 0, 0, 0], "exist"),
            new Lookup(Key(8, 2, 0, 0, 0)),
            new Delete(Key(8, 1, 0, 0, 0)),
            new Update(Key(6, 0, 0, 0, 0), [4, 0, 0, 0]),     // fills the intermediate node 0.0.0.0/6
            new Lookup(Key(32, 1, 2, 3, 4)),
        };
        Compare(Spec(3), ops);
    }

    [SkippableFact]
    public void GetNextKeyFollowsKernelPostOrder()
    {
        var keys = new[]
        {
            Key(16, 192, 168, 0, 0), Key(24, 192, 168, 0, 0), Key(24, 192, 168, 1, 0), Key(24, 192, 168, 128, 0),
            Key(8, 10, 0, 0, 0), Key(32, 10, 0, 0, 1), Key(32, 10, 255, 0, 1), Key(0, 0, 0, 0, 0), Key(12, 172, 16, 0, 0),
            Key(32, 0, 0, 0, 0), Key(1, 128, 0, 0, 0), Key(25, 192, 168, 1, 128),
        };
        var ops = new List<MapOp>();
        ops.AddRange(keys.Select(k => (MapOp)new Update(k, [k[4], k[0], 0, 0])));
        ops.AddRange(Walk(keys));
        ops.Add(new GetNext(Key(24, 1, 2, 3, 4)));      // missing: back to the first
        ops.Add(new GetNext(Key(99, 1, 2, 3, 4)));      // invalid prefix length
        ops.Add(new Delete(Key(24, 192, 168, 0, 0)));
        ops.Add(new Delete(Key(16, 192, 168, 0, 0)));
        ops.Add(new Delete(Key(0, 0, 0, 0, 0)));
        ops.AddRange(Walk(keys));
        Compare(Spec(16), ops);
    }

    [SkippableFact]
    public void RandomisedSequenceMatchesKernel()
    {
        var rng = new Random(1234);
        var ops = new List<MapOp>();
        byte[] RandomKey() => Key((uint)rng.Next(0, 34), (byte)(rng.Next(4) * 64), (byte)rng.Next(4), 0, (byte)rng.Next(2));
        for (int i = 0; i < 60; i++)
        {
            var k = RandomKey();
            ops.Add(rng.Next(5) switch
            {
                0 or 1 => new Update(k, [(byte)i, 0, 0, 0], rng.Next(3) switch { 0 => "any", 1 => "noexist", _ => "exist" }),
                2 => new Delete(k),
                3 => new Lookup(k),
                _ => new GetNext(k),
            });
        }
        ops.Add(new GetNext(null));
        Compare(Spec(10), ops);
    }
}
