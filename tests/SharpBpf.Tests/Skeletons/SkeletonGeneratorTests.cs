using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SharpBpf.Btf;
using SharpBpf.Linux;
using SharpBpf.Objects;
using SharpBpf.Skeletons;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Skeletons;

public class SkeletonGeneratorTests
{
    /// <summary>Every test program that builds for bpfel: its skeleton compiles without a warning, and every generated
    /// struct has the size and member offsets of its BTF type.</summary>
    public static TheoryData<string> Programs() => new(TestPrograms.All());

    [Theory]
    [MemberData(nameof(Programs))]
    public void Skeleton_CompilesAndMatchesBtfLayout(string program)
    {
        var path = TestPrograms.Compile(program);
        var className = SkeletonGenerator.DefaultClassName(path);
        var source = SkeletonGenerator.Generate(path, new SkeletonOptions { Namespace = "Gen." + CSharpNames.Pascal(Path.GetFileNameWithoutExtension(program)) });
        var assembly = SkeletonCompiler.CompileOrFail("skel_" + Path.GetFileNameWithoutExtension(program), source);
        var skeleton = assembly.GetTypes().Single(t => t.Name == className);
        Assert.True(skeleton.IsSubclassOf(typeof(BpfSkeleton)));

        var obj = ObjectSpec.Load(path);
        if (obj.Btf is not { } raw)
            return;
        var btf = BtfSpec.Parse(ObjectBtfFixup.Fix(raw.Span, obj.Elf));
        int checkedTypes = 0;
        foreach (var id in btf.OwnIds())
        {
            if (btf[id] is not BtfComposite { Name.Length: > 0 } composite)
                continue;
            var type = skeleton.GetNestedType(CSharpNames.Pascal(composite.Name));
            if (type is null || !type.IsValueType)
                continue; // not reachable from a map or a global variable: not generated
            CheckLayout(type, composite, btf);
            checkedTypes++;
        }
        foreach (var map in obj.Maps.Where(m => m.DataSection is not null))
        {
            var datasecId = btf.FindByName(map.DataSection!, BtfKind.Datasec).FirstOrDefault();
            var type = skeleton.GetNestedType(CSharpNames.Pascal(map.DataSection!) + "Section");
            if (datasecId == 0 || type is null)
                continue;
            Assert.Equal(map.ValueSize, SizeOf(type));
            foreach (var v in ((BtfDatasec)btf[datasecId]).Vars)
            {
                var variable = (BtfVar)btf[v.Type];
                var field = type.GetField(CSharpNames.Pascal(variable.Name));
                if (variable.Linkage == BtfVarLinkage.GlobalAllocated)
                    Assert.Equal((int)v.Offset, Offset(field ?? throw new Xunit.Sdk.XunitException($"{type.Name} lacks {variable.Name}")));
                else
                    Assert.Null(field); // static variables stay hidden
            }
            checkedTypes++;
        }
        bool IsComposite(uint id) => id != 0 && btf[btf.ResolveModifiers(id)] is BtfComposite;
        bool expectsStructs = obj.Maps.Any(m => IsComposite(m.BtfKeyTypeId) || IsComposite(m.BtfValueTypeId) 
            || m.DataSection is not (null or ".kconfig") && HasGlobalVariables(m.DataSection));
        bool HasGlobalVariables(string section) => btf.FindByName(section, BtfKind.Datasec)
            .Any(id => ((BtfDatasec)btf[id]).Vars.Any(v => ((BtfVar)btf[v.Type]).Linkage == BtfVarLinkage.GlobalAllocated));
        Assert.True(checkedTypes > 0 || !expectsStructs,
            $"{program}: no generated struct was checked");
    }

    private static void CheckLayout(Type type, BtfComposite composite, BtfSpec btf)
    {
        CheckBitfields(type, composite);
        Assert.True(type.StructLayoutAttribute?.Value == LayoutKind.Explicit, $"{type.Name} is not explicit-layout");
        Assert.Equal(Math.Max((int)composite.Size, 1), SizeOf(type)); // C's empty struct has size 0, C#'s 1
        foreach (var member in composite.Members)
        {
            if (member.Name.Length == 0 || member.BitfieldSize != 0 || member.BitOffset % 8 != 0)
                continue;
            var field = type.GetField(CSharpNames.Pascal(member.Name));
            if (field is null && btf[btf.ResolveModifiers(member.Type)] is BtfArray { Count: 0 })
                continue; // flexible array member
            Assert.True(field is not null, $"{type.Name} lacks a field for {composite.Name}.{member.Name}");
            Assert.Equal((int)(member.BitOffset / 8), Offset(field!));
        }
    }

    /// <summary>Each bitfield property, set alone on a zeroed struct, must set exactly its BTF bits (little-endian) and
    /// read back what was written.</summary>
    private static void CheckBitfields(Type type, BtfComposite composite)
    {
        foreach (var member in composite.Members.Where(m => m.BitfieldSize > 0 && m.Name.Length > 0))
        {
            var property = type.GetProperty(CSharpNames.Pascal(member.Name))
                ?? throw new Xunit.Sdk.XunitException($"{type.Name} lacks bitfield {member.Name}");
            int bits = (int)member.BitfieldSize;
            ulong pattern = bits == 1 ? 1UL : 0x5555_5555_5555_5555UL & ((1UL << Math.Min(bits - 1, 63)) - 1) | 1UL << (bits - 2);
            var t = property.PropertyType;
            object value = t == typeof(bool) ? true
                : t.IsEnum ? Enum.ToObject(t, pattern)
                : Convert.ChangeType(pattern, t, System.Globalization.CultureInfo.InvariantCulture);
            var boxed = Activator.CreateInstance(type)!;
            property.SetValue(boxed, value);
            Assert.Equal(value, property.GetValue(boxed));
            var bytes = (byte[])typeof(SkeletonGeneratorTests).GetMethod(nameof(BytesOf), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(type).Invoke(null, [boxed])!;
            for (int bit = 0; bit < bytes.Length * 8; bit++)
            {
                bool set = (bytes[bit / 8] >> (bit % 8) & 1) != 0;
                long inField = bit - (long)member.BitOffset;
                bool expected = inField >= 0 && inField < bits && (pattern >> (int)inField & 1) != 0;
                Assert.True(set == expected, $"{type.Name}.{property.Name}: bit {bit} is {(set ? 1 : 0)}, BTF says {(expected ? 1 : 0)}");
            }
        }
    }

    private static byte[] BytesOf<T>(T value) where T : unmanaged =>
        MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)).ToArray();

    private static int SizeOf(Type type)
    {
        int size = (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(type).Invoke(null, null)!;
        if (!ContainsInlineArray(type))
            Assert.Equal(size, Marshal.SizeOf(type));
        return size;
    }

    private static bool ContainsInlineArray(Type type) =>
        type.GetCustomAttribute<InlineArrayAttribute>() is not null
        || type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Any(f => f.FieldType.IsValueType && !f.FieldType.IsPrimitive && !f.FieldType.IsEnum && f.FieldType != type && ContainsInlineArray(f.FieldType));

    private static int Offset(FieldInfo field) =>
        field.GetCustomAttribute<FieldOffsetAttribute>()?.Value ?? throw new Xunit.Sdk.XunitException($"{field.Name} has no FieldOffset");

    [Fact]
    public void RichGlobals_RunInVm_TypedPropertiesReadAndWriteLiveValues()
    {
        var path = TestPrograms.Compile("skel_globals.c");
        var source = SkeletonGenerator.Generate(path, new SkeletonOptions { Namespace = "Gen.VmDriver", ClassName = SkeletonDriver.ClassName });
        var assembly = SkeletonCompiler.CompileOrFail("skel_vm_driver", source, SkeletonDriver.Source("Gen.VmDriver"));
        var report = (string)assembly.GetType("Gen.VmDriver.Driver")!.GetMethod("Run")!.Invoke(null, [SkeletonEngine.Vm])!;
        Assert.Equal(SkeletonDriver.Expected.ReplaceLineEndings("\n"), report);
    }

    [Fact]
    public void CollidingNames_PerCpuAndSizedMaps_WorkInVm()
    {
        var path = TestPrograms.Compile("skel_names.c");
        var source = SkeletonGenerator.Generate(path, new SkeletonOptions { Namespace = "Gen.Names" });
        const string usage = """
            using System.Linq;

            namespace Gen.Names;

            public static class Probe
            {
                public static string Run()
                {
                    using var skel = new SkelNamesSkeleton();
                    skel.Load();
                    var ret = skel.Programs.ToString2.Run(new byte[64]).ReturnValue;
                    var drop = skel.Programs.ToString3.Run(new byte[64]).ReturnValue;
                    SkelNamesSkeleton.Maps2 perCpuTotal = default;
                    foreach (var v in skel.Maps.PerCpu[0])
                        perCpuTotal.Equals2 += v.Equals2;
                    var sizedKey = skel.Maps.Sized.Keys.Single();
                    unsafe { return $"{ret} {drop} {skel.Bss.Maps.Maps} {skel.Bss.Maps.RxBytes} {skel.Bss.Maps.RxBytes2} {skel.Bss.Programs.Load} " +
                        $"{skel.Bss.Dispose} {skel.Bss.Spec} {skel.Bss.Static} cpus={skel.Maps.PerCpu.CpuCount} equals={perCpuTotal.Equals2} " +
                        $"sized={sizedKey.Bytes[0]}..{sizedKey.Bytes[5]} maps={skel.Maps.Maps[0].Spec}"; }
                }
            }
            """;
        var probe = SkeletonCompiler.CompileOrFail("skel_names_vm", source, usage).GetType("Gen.Names.Probe")!;
        Assert.Equal($"2 1 1 2 3 7 1 2 3 cpus={Environment.ProcessorCount} equals=1 sized=1..6 maps=2", probe.GetMethod("Run")!.Invoke(null, null));
    }

    [Fact]
    public void Skeleton_Lifecycle_LoadOnceSharedEngineDispose()
    {
        var path = TestPrograms.Compile("skel_globals.c");
        var source = SkeletonGenerator.Generate(path, new SkeletonOptions { Namespace = "Gen.Lifecycle", ClassName = "Lifecycle" });
        var type = SkeletonCompiler.CompileOrFail("skel_lifecycle", source).GetType("Gen.Lifecycle.Lifecycle")!;

        using var engine = new SharpBpf.Vm.VmEngine();
        var skeleton = (BpfSkeleton)Activator.CreateInstance(type)!;
        Assert.False(skeleton.IsLoaded);
        Assert.Null(skeleton.Engine);
        skeleton.Spec.FindMap("flows")!.MaxEntries = 3; // specs are editable until loaded
        skeleton.Load(engine);
        Assert.Equal(SkeletonEngine.Vm, skeleton.Engine);
        var vmFlows = skeleton.Vm!.Maps["flows"];
        Assert.Equal(3, vmFlows.MaxEntries);
        Assert.Null(skeleton.Kernel);
        Assert.Throws<InvalidOperationException>(() => skeleton.Load());
        skeleton.Dispose();
        skeleton.Dispose();
        Assert.Throws<ObjectDisposedException>(() => skeleton.Load());
        var flows = type.GetProperty("Maps")!.PropertyType.GetProperty("Flows")!;
        var e = Assert.Throws<TargetInvocationException>(() => flows.GetValue(type.GetProperty("Maps")!.GetValue(skeleton)));
        Assert.IsType<ObjectDisposedException>(e.InnerException);
        Assert.Throws<ObjectDisposedException>(() => vmFlows.TryGetNextKey(ReadOnlySpan<byte>.Empty, new byte[4])); // its maps went with it
        Assert.NotNull(engine.CreateMap(skeleton.Spec.FindMap("flows")!)); // the shared engine lives on
    }

    [Fact]
    public void ObjectWithoutBtf_MapsTypedBySize()
    {
        var path = TestPrograms.Compile("obj_legacy_maps.c", extraFlags: "-g0");
        Assert.Null(ObjectSpec.Load(path).Btf);
        var source = SkeletonGenerator.Generate(path, new SkeletonOptions { Namespace = "Gen.NoBtf" });
        var skeleton = SkeletonCompiler.CompileOrFail("skel_nobtf", source).GetType("Gen.NoBtf.ObjLegacyMapsSkeleton")!;
        var maps = skeleton.GetNestedType("MapSet")!;
        Assert.All(maps.GetProperties(), p => Assert.True(p.PropertyType.IsGenericType || p.PropertyType == typeof(SharpBpf.Maps.IBpfMap)));
        Assert.Equal(typeof(SharpBpf.Maps.BpfMap<uint, ulong>), maps.GetProperty("Packets")!.PropertyType);
    }

    [Fact]
    public void Internal_GlobalNamespace_Compile()
    {
        var path = TestPrograms.Compile("xdp_pass.c");
        var source = SkeletonGenerator.Generate(path, new SkeletonOptions { Internal = true });
        Assert.Contains("internal sealed partial class XdpPassSkeleton", source);
        Assert.DoesNotContain("namespace ", source);
        var type = SkeletonCompiler.CompileOrFail("skel_internal", source).GetType("XdpPassSkeleton")!;
        Assert.False(type.IsPublic);
    }

    [Fact]
    public void Names_PascalCaseAndEscape()
    {
        Assert.Equal("RxBytes", CSharpNames.Pascal("rx_bytes"));
        Assert.Equal("XdpPass", CSharpNames.Pascal("XDP_PASS"));
        Assert.Equal("RxBytes", CSharpNames.Pascal("rxBytes"));
        Assert.Equal("Unnamed", CSharpNames.Pascal("__"));
        Assert.Equal("_1st", CSharpNames.Pascal("1st"));
        Assert.Equal("DataCounters", CSharpNames.Pascal(".data.counters"));
        Assert.Equal("@class", CSharpNames.Escape("class"));
        Assert.Equal("ProbeSkeleton", SkeletonGenerator.DefaultClassName("/x/probe.bpf.o"));
    }

    [Fact]
    public void Generate_RejectsBigEndianObjectsAndBadNames()
    {
        var bigEndian = TestPrograms.CompileBytes("skel_globals.c", bigEndian: true);
        var e = Assert.Throws<BpfException>(() => SkeletonGenerator.Generate(bigEndian, "x.o"));
        Assert.Contains("big-endian", e.Message);
        var path = TestPrograms.Compile("skel_globals.c");
        Assert.Throws<ArgumentException>(() => SkeletonGenerator.Generate(path, new SkeletonOptions { ClassName = "class" }));
        Assert.Throws<ArgumentException>(() => SkeletonGenerator.Generate(path, new SkeletonOptions { Namespace = "a..b" }));
    }

    [Fact]
    public void Skeleton_BeforeLoad_MapsAndProgramsExplainThemselves()
    {
        var path = TestPrograms.Compile("skel_globals.c");
        var source = SkeletonGenerator.Generate(path, new SkeletonOptions { Namespace = "Gen.Unloaded", ClassName = "Unloaded" });
        const string usage = """
            namespace Gen.Unloaded;

            public static class Probe
            {
                public static object Flows() { using var s = new Unloaded(); return s.Maps.Flows; }
                public static ulong Packets() { using var s = new Unloaded(); return s.Bss.Counters.Packets; }
            }
            """;
        var probe = SkeletonCompiler.CompileOrFail("skel_unloaded", source, usage).GetType("Gen.Unloaded.Probe")!;
        var e = Assert.Throws<TargetInvocationException>(() => probe.GetMethod("Flows")!.Invoke(null, null));
        Assert.IsType<InvalidOperationException>(e.InnerException);
        Assert.Contains("Load()", e.InnerException!.Message);
        Assert.Equal(0UL, probe.GetMethod("Packets")!.Invoke(null, null));
    }
}
