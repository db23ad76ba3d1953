using SharpBpf.Btf;

namespace SharpBpf.Tests.Core;

/// <summary>CoreRelocator on hand-built BTF: what clang 14 cannot emit (TYPE_MATCHES), module candidates, size checks, ambiguity.</summary>
public class CoreRelocatorUnitTests
{
    private sealed class Types
    {
        public BtfSpec Btf { get; }
        public uint Int, UInt, Long, ULong;

        public Types(BtfSpec? baseBtf = null)
        {
            Btf = new BtfSpec(baseBtf);
            if (baseBtf is not null)
                return;
            Int = Btf.Add(new BtfInt("int", 4, BtfIntEncoding.Signed, 0, 32));
            UInt = Btf.Add(new BtfInt("unsigned int", 4, BtfIntEncoding.None, 0, 32));
            Long = Btf.Add(new BtfInt("long int", 8, BtfIntEncoding.Signed, 0, 64));
            ULong = Btf.Add(new BtfInt("long unsigned int", 8, BtfIntEncoding.None, 0, 64));
        }

        public uint Struct(string name, params (string Name, uint Type, uint Offset)[] members) =>
            Btf.Add(new BtfStruct(name, members.Length == 0 ? 0 : members.Max(m => m.Offset) + 8,
                members.Select(m => new BtfMember(m.Name, m.Type, m.Offset * 8, 0)).ToList()));

        public uint Enum(string name, uint size, params string[] values) =>
            Btf.Add(new BtfEnum(name, size, false, values.Select((v, i) => new BtfEnumValue(v, i)).ToList()));
    }

    private static CoreRelocationResult Resolve(Types local, uint type, string access, BtfCoreRelocationKind kind, BtfSpec target,
        Func<IEnumerable<BtfSpec>>? modules = null) =>
        new CoreRelocator(local.Btf, target, modules).Resolve(new BtfCoreRelocation(0, type, access, kind));

    [Fact]
    public void TypeMatchesFollowsLibbpfsRules()
    {
        var local = new Types();
        var bar = local.Btf.Add(new BtfStruct("bar", 4, [new BtfMember("q", local.Int, 0, 0)]));
        var foo = local.Struct("foo___mine", ("a", local.Int, 0), ("p", local.Btf.Add(new BtfPtr(bar)), 8));
        var color = local.Enum("color", 4, "RED", "GREEN");

        var good = new Types();
        var fwdBar = good.Btf.Add(new BtfFwd("bar", false));
        good.Struct("foo", ("x", good.Long, 0), ("p", good.Btf.Add(new BtfPtr(fwdBar)), 8), ("a", good.Int, 16));
        good.Enum("color", 4, "BLUE", "GREEN", "RED");
        Assert.Equal(1UL, Resolve(local, foo, "0", BtfCoreRelocationKind.TypeMatches, good.Btf).TargetValue);
        Assert.Equal(1UL, Resolve(local, color, "0", BtfCoreRelocationKind.TypeMatches, good.Btf).TargetValue);

        var unsigned = new Types(); // 'a' unsigned: compatible for TYPE_EXISTS, but no match
        unsigned.Struct("foo", ("a", unsigned.UInt, 0), ("p", unsigned.Btf.Add(new BtfPtr(unsigned.Int)), 8));
        unsigned.Enum("color", 8, "RED", "GREEN"); // enum of another size
        Assert.Equal(0UL, Resolve(local, foo, "0", BtfCoreRelocationKind.TypeMatches, unsigned.Btf).TargetValue);
        Assert.Equal(1UL, Resolve(local, foo, "0", BtfCoreRelocationKind.TypeExists, unsigned.Btf).TargetValue);
        Assert.Equal(0UL, Resolve(local, color, "0", BtfCoreRelocationKind.TypeMatches, unsigned.Btf).TargetValue);

        var missing = new Types(); // 'p' absent; enum lacking GREEN
        missing.Struct("foo", ("a", missing.Int, 0));
        missing.Enum("color", 4, "RED", "BLUE");
        Assert.Equal(0UL, Resolve(local, foo, "0", BtfCoreRelocationKind.TypeMatches, missing.Btf).TargetValue);
        Assert.Equal(0UL, Resolve(local, color, "0", BtfCoreRelocationKind.TypeMatches, missing.Btf).TargetValue);
        Assert.False(Resolve(local, foo, "0", BtfCoreRelocationKind.TypeMatches, missing.Btf).Poison);
    }

    [Fact]
    public void ModuleBtfIsSearchedOnlyWhenTheMainTargetHasNoCandidate()
    {
        var vmlinux = new Types();
        vmlinux.Struct("in_both", ("x", vmlinux.Int, 4));
        var module = new Types(vmlinux.Btf);
        var modStruct = module.Struct("mod_s", ("y", vmlinux.Int, 0), ("x", vmlinux.Int, 12));
        module.Struct("in_both", ("x", vmlinux.Int, 40));
        var moduleBtf = BtfSpec.Parse(module.Btf.ToBytes(), vmlinux.Btf);

        var local = new Types();
        var localMod = local.Struct("mod_s", ("x", local.Int, 0));
        var localBoth = local.Struct("in_both", ("x", local.Int, 0));
        var asked = 0;
        IEnumerable<BtfSpec> Modules() { asked++; return [moduleBtf]; }

        var r = Resolve(local, localMod, "0:0", BtfCoreRelocationKind.FieldByteOffset, vmlinux.Btf, Modules);
        Assert.False(r.Poison);
        Assert.Equal(12UL, r.TargetValue);
        Assert.Equal(modStruct, r.TargetTypeId);
        Assert.True(Resolve(local, localMod, "0:0", BtfCoreRelocationKind.FieldByteOffset, vmlinux.Btf).Poison);

        asked = 0;
        Assert.Equal(4UL, Resolve(local, localBoth, "0:0", BtfCoreRelocationKind.FieldByteOffset, vmlinux.Btf, Modules).TargetValue);
        Assert.Equal(0, asked);
    }

    [Fact]
    public void LoadsMayChangeSizeOnlyForPointersAndUnsignedIntegers()
    {
        var local = new Types();
        var s = local.Struct("s", ("u", local.UInt, 0), ("i", local.Int, 4));
        var target = new Types();
        target.Struct("s", ("i", target.Long, 0), ("u", target.ULong, 8));

        var u = Resolve(local, s, "0:0", BtfCoreRelocationKind.FieldByteOffset, target.Btf);
        Assert.Equal((8UL, 4U, 8U, false), (u.TargetValue, u.LocalFieldSize, u.TargetFieldSize, u.FailsMemorySizeAdjustment));
        var i = Resolve(local, s, "0:1", BtfCoreRelocationKind.FieldByteOffset, target.Btf);
        Assert.Equal((0UL, 4U, 8U, true), (i.TargetValue, i.LocalFieldSize, i.TargetFieldSize, i.FailsMemorySizeAdjustment));
        Assert.Equal("byte_off [5] struct s.i (0:1)", i.Description);
    }

    [Fact]
    public void CandidatesThatDisagreeAreAnError()
    {
        var local = new Types();
        var s = local.Struct("s", ("v", local.Int, 0));
        var target = new Types();
        target.Struct("s", ("v", target.Int, 0));
        target.Struct("s___other", ("v", target.Int, 8));
        var e = Assert.Throws<BpfException>(() => Resolve(local, s, "0:0", BtfCoreRelocationKind.FieldByteOffset, target.Btf));
        Assert.Contains("ambiguity", e.Message);

        var agreeing = new Types();
        agreeing.Struct("s", ("v", agreeing.Int, 8));
        agreeing.Struct("s___other", ("w", agreeing.Int, 0), ("v", agreeing.Int, 8));
        Assert.Equal(8UL, Resolve(local, s, "0:0", BtfCoreRelocationKind.FieldByteOffset, agreeing.Btf).TargetValue);
    }
}
