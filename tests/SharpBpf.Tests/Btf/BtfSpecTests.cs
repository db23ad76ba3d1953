using SharpBpf.Btf;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Btf;

public class BtfSpecTests
{
    [SkippableFact]
    public void ParsesVmlinuxAndFindsWellKnownTypes()
    {
        var spec = BtfTestData.Vmlinux;
        Assert.True(spec.Count > 10_000);
        Assert.IsType<BtfVoid>(spec[0]);
        var task = Assert.Single(spec.FindByName("task_struct", BtfKind.Struct));
        var taskStruct = Assert.IsType<BtfStruct>(spec[task]);
        Assert.Equal(taskStruct.Size, (uint)spec.SizeOf(task));
        Assert.Contains(taskStruct.Members, m => m.Name == "pid");
        var u32 = Assert.Single(spec.FindByName("u32", BtfKind.Typedef));
        Assert.Equal(4, spec.SizeOf(u32));
        var resolved = Assert.IsType<BtfInt>(spec[spec.ResolveModifiers(u32)]);
        Assert.Equal("unsigned int", resolved.Name);
        Assert.Contains(Enumerable.Range(1, spec.Count - 1), i => spec[(uint)i] is BtfEnum64);
        Assert.Throws<ArgumentOutOfRangeException>(() => spec[(uint)spec.Count]);
    }

    [SkippableFact]
    public void VmlinuxRoundTripsByteIdentically()
    {
        var bytes = BtfTestData.VmlinuxBytes;
        var spec = BtfTestData.Vmlinux;
        Assert.False(spec.BigEndian);
        Assert.Equal(bytes, spec.ToBytes());
        // Through the other byte order and back.
        var be = spec.ToBytes(bigEndian: true);
        Assert.NotEqual(bytes, be);
        var reparsed = BtfSpec.Parse(be);
        Assert.True(reparsed.BigEndian);
        Assert.Equal(spec.Count, reparsed.Count);
        Assert.Equal(bytes, reparsed.ToBytes(bigEndian: false));
    }

    [Theory]
    [InlineData("btf_rich_types.c", false)]
    [InlineData("btf_rich_types.c", true)]
    public void ClangObjectBtfParsesAndRoundTrips(string program, bool bigEndian)
    {
        var obj = TestPrograms.Compile(program, bigEndian: bigEndian);
        var raw = BtfTestData.ObjcopyBtf(obj);
        var spec = BtfSpec.Parse(raw);
        Assert.Equal(bigEndian, spec.BigEndian);
        Assert.Equal(raw, spec.ToBytes());
        Assert.Equal(raw, BtfFile.Load(obj).ToBytes()); // our own ELF section lookup finds the same bytes

        var bits = (BtfStruct)spec[spec.FindByName("bits", BtfKind.Struct).Single()];
        Assert.True(bits.HasBitfieldSizes);
        Assert.Equal(["a", "b", "c", "d", "e", "f"], bits.Members.Select(m => m.Name));
        Assert.Equal([3u, 5u, 7u, 40u, 0u, 4u], bits.Members.Select(m => m.BitfieldSize));
        Assert.Equal([0u, 3u, 8u, 15u, 56u, 64u], bits.Members.Select(m => m.BitOffset));

        var chained = spec.FindByName("chained_id_t", BtfKind.Typedef).Single();
        Assert.Equal("unsigned int", spec[spec.ResolveModifiers(chained)].Name);
        Assert.Equal(4, spec.SizeOf(chained));

        var matrix = spec.FindByName("matrix", BtfKind.Struct).Single();
        var cells = ((BtfStruct)spec[matrix]).Members[0];
        Assert.Equal(48, spec.SizeOf(cells.Type));
        Assert.Equal(13, spec.SizeOf(spec.FindByName("packed_thing", BtfKind.Struct).Single()));

        var color = (BtfEnum)spec[spec.FindByName("color", BtfKind.Enum).Single()];
        Assert.Equal([("RED", 0L), ("GREEN", 5L), ("BLUE", 0x7fffffffL)], color.Values.Select(v => (v.Name, v.Value)));
        Assert.True(((BtfFwd)spec[spec.FindByName("forward_union", BtfKind.Fwd).Single()]).IsUnion);

        var maps = (BtfDatasec)spec[spec.FindByName(".maps", BtfKind.Datasec).Single()];
        var mapVar = (BtfVar)spec[maps.Vars.Single().Type];
        Assert.Equal("rich_map", mapVar.Name);
        Assert.Equal(BtfVarLinkage.GlobalAllocated, mapVar.Linkage);
        Assert.Equal(BtfFuncLinkage.Static, ((BtfFunc)spec[spec.FindByName("helper", BtfKind.Func).Single()]).Linkage);
    }

    [Fact]
    public void BothByteOrdersOfAnObjectDescribeTheSameTypes()
    {
        var le = BtfSpec.Parse(BtfTestData.ObjcopyBtf(TestPrograms.Compile("btf_rich_types.c")));
        var be = BtfSpec.Parse(BtfTestData.ObjcopyBtf(TestPrograms.Compile("btf_rich_types.c", bigEndian: true)));
        Assert.Equal(le.ToBytes(), be.ToBytes(bigEndian: false));
    }

    [Fact]
    public void BuiltSpecWithEveryKindRoundTrips()
    {
        var spec = new BtfSpec();
        var i32 = spec.Add(new BtfInt("int", 4, BtfIntEncoding.Signed, 0, 32));
        var ptr = spec.Add(new BtfPtr(i32));
        var arr = spec.Add(new BtfArray(i32, i32, 3));
        var st = spec.Add(new BtfStruct("s", 16, [new BtfMember("a", i32, 0, 3), new BtfMember("p", ptr, 64, 0)], HasBitfieldSizes: true));
        spec.Add(new BtfUnion("u", 8, [new BtfMember("x", i32, 0, 0), new BtfMember("", st, 0, 0)]));
        spec.Add(new BtfEnum("e", 4, true, [new BtfEnumValue("NEG", -7), new BtfEnumValue("POS", 9)]));
        spec.Add(new BtfEnum64("e64", 8, false, [new BtfEnumValue("HUGE", unchecked((long)0xfedcba9876543210UL))]));
        spec.Add(new BtfFwd("f", true));
        var td = spec.Add(new BtfTypedef("t", arr));
        spec.Add(new BtfVolatile(td));
        spec.Add(new BtfConst(td));
        spec.Add(new BtfRestrict(ptr));
        spec.Add(new BtfTypeTag("user", ptr));
        var proto = spec.Add(new BtfFuncProto(i32, [new BtfParam("a", i32), new BtfParam("", 0)]));
        var fn = spec.Add(new BtfFunc("fn", proto, BtfFuncLinkage.Global));
        var v = spec.Add(new BtfVar("v", i32, BtfVarLinkage.GlobalAllocated));
        spec.Add(new BtfDatasec(".data", 4, [new BtfVarSecInfo(v, 0, 4)]));
        spec.Add(new BtfFloat("double", 8));
        spec.Add(new BtfDeclTag("tag", fn, 0));

        foreach (var bigEndian in new[] { false, true })
        {
            var bytes = spec.ToBytes(bigEndian);
            var parsed = BtfSpec.Parse(bytes);
            Assert.Equal(spec.Count, parsed.Count);
            Assert.Equal(bytes, parsed.ToBytes());
            for (uint id = 1; id < spec.Count; id++)
            {
                Assert.Equal(spec[id].Kind, parsed[id].Kind);
                Assert.Equal(spec[id].Name, parsed[id].Name);
            }
            var e64 = (BtfEnum64)parsed[parsed.FindByName("e64", BtfKind.Enum64).Single()];
            Assert.Equal(unchecked((long)0xfedcba9876543210UL), e64.Values[0].Value);
            var e = (BtfEnum)parsed[parsed.FindByName("e", BtfKind.Enum).Single()];
            Assert.True(e.Signed);
            Assert.Equal(-7, e.Values[0].Value);
            Assert.Equal(24, parsed.SizeOf(parsed.FindByName("t", BtfKind.Typedef).Single()) * 2);
        }
    }

    [SkippableFact]
    public void SplitBtfContinuesIdsAndStringsOfItsBase()
    {
        var vmlinux = BtfTestData.Vmlinux;
        var task = vmlinux.FindByName("task_struct", BtfKind.Struct).Single();
        var intId = vmlinux.FindByName("int", BtfKind.Int).Single();
        var split = new BtfSpec(vmlinux);
        var ptr = split.Add(new BtfPtr(task));
        Assert.Equal((uint)vmlinux.Count, ptr);
        // "pid" already exists in the base string table; "my_module_thing" is new.
        split.Add(new BtfStruct("my_module_thing", 16, [new BtfMember("pid", intId, 0, 0), new BtfMember("task", ptr, 64, 0)]));

        var bytes = split.ToBytes();
        var parsed = BtfSpec.Parse(bytes, vmlinux);
        Assert.Equal(vmlinux.Count + 2, parsed.Count);
        Assert.Same(vmlinux[task], parsed[task]);
        var thing = (BtfStruct)parsed[parsed.FindByName("my_module_thing", BtfKind.Struct).Single()];
        Assert.Equal("pid", thing.Members[0].Name);
        Assert.True(thing.Members[0].NameOffset < vmlinux.Strings.TotalLength, "a base string is referenced, not duplicated");
        Assert.True(thing.NameOffset >= vmlinux.Strings.TotalLength, "split strings continue after the base's");
        Assert.Equal(task, ((BtfPtr)parsed[ptr]).Target);
        Assert.Equal(bytes, parsed.ToBytes());
        Assert.Throws<BpfFormatException>(() => BtfSpec.Parse(bytes)); // without its base, the ids dangle
    }

    [Fact]
    public void MalformedBtfRaisesFormatErrorsNamingTheOffset()
    {
        var spec = new BtfSpec();
        var i32 = spec.Add(new BtfInt("int", 4, BtfIntEncoding.Signed, 0, 32));
        spec.Add(new BtfPtr(i32));
        var good = spec.ToBytes();

        var e = Assert.Throws<BpfFormatException>(() => BtfSpec.Parse(good.AsSpan(0, 10)));
        Assert.Contains("shorter", e.Message);
        var badMagic = (byte[])good.Clone();
        badMagic[0] = 0x12;
        Assert.Contains("magic", Assert.Throws<BpfFormatException>(() => BtfSpec.Parse(badMagic)).Message);

        var dangling = (byte[])good.Clone();
        dangling[24 + 16 + 8] = 99; // the PTR's target
        var d = Assert.Throws<BpfFormatException>(() => BtfSpec.Parse(dangling));
        Assert.Contains("type id 99", d.Message);
        Assert.Equal(24 + 16, d.Offset);

        var truncated = (byte[])good.Clone();
        truncated[12] = 20; // type_len: cuts the PTR in the middle... and overlaps strings
        Assert.Throws<BpfFormatException>(() => BtfSpec.Parse(truncated));

        var badKind = (byte[])good.Clone();
        badKind[24 + 7] = 31; // kind byte of the INT (little endian info, bits 24..28)
        Assert.Contains("unknown kind", Assert.Throws<BpfFormatException>(() => BtfSpec.Parse(badKind)).Message);

        var badString = (byte[])good.Clone();
        badString[24] = 0xff; // INT's name offset
        Assert.Contains("string", Assert.Throws<BpfFormatException>(() => BtfSpec.Parse(badString)).Message);
    }

    [Fact]
    public void ErrorsInsideAnObjectNameTheFileAndTheFileOffset()
    {
        var obj = TestPrograms.Compile("btf_rich_types.c");
        var bytes = File.ReadAllBytes(obj);
        var section = SharpBpf.Elf.ElfFile.Parse(bytes).FindSection(".BTF")!;
        var firstType = (int)section.FileOffset + 24; // after the BTF header
        bytes[firstType + 7] = 31; // kind byte of type 1's info word (little endian): an unknown kind
        var path = Path.Combine(Path.GetTempPath(), $"sharpbpf-badbtf-{Environment.ProcessId}.o");
        File.WriteAllBytes(path, bytes);
        try
        {
            var e = Assert.Throws<BpfFormatException>(() => BtfFile.Load(path));
            Assert.Equal(path, e.File);
            Assert.Equal(firstType, e.Offset);
            Assert.Contains("unknown kind", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
