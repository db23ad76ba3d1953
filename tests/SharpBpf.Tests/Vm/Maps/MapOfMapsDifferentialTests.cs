using SharpBpf.Maps;
using SharpBpf.Objects;
using SharpBpf.Tests.Support;
using SharpBpf.Vm.Maps;

namespace SharpBpf.Tests.Vm.Maps;

/// <summary>Which inner maps a map of maps accepts, the kernel's bpf_map_meta_equal as the oracle.</summary>
public sealed class MapOfMapsDifferentialTests
{
    private static MapSpec Spec(string name, BpfMapType type, int key, int value, int entries, uint flags = 0) =>
        new() { Name = name, Type = type, KeySize = key, ValueSize = value, MaxEntries = entries, Flags = flags };

    public static TheoryData<BpfMapType, uint> Outers() => new()
    {
        { BpfMapType.ArrayOfMaps, 0 },
        { BpfMapType.HashOfMaps, 0 },
        { BpfMapType.ArrayOfMaps, (uint)BpfMapCreateFlags.InnerMap },
    };

    [SkippableTheory]
    [MemberData(nameof(Outers))]
    public void InnerMapCompatibilityMatchesKernel(BpfMapType outerType, uint templateFlags)
    {
        Requirements.Kernel();
        Requirements.Tool("bpftool");
        using var fs = new BpffsMount();
        var template = Spec("tmpl", BpfMapType.Array, 4, 8, 4, templateFlags);
        var candidates = new[]
        {
            Spec("same", BpfMapType.Array, 4, 8, 4, templateFlags),
            Spec("bigger", BpfMapType.Array, 4, 8, 16, templateFlags),
            Spec("widerval", BpfMapType.Array, 4, 16, 4, templateFlags),
            Spec("hash", BpfMapType.Hash, 4, 8, 4),
            Spec("rdonly", BpfMapType.Array, 4, 8, 4, templateFlags | (uint)BpfMapCreateFlags.ReadOnlyProgram),
            Spec("plain", BpfMapType.Array, 4, 8, 4),
        };
        var outerSpec = new MapSpec { Name = "outer", Type = outerType, KeySize = 4, ValueSize = 4, MaxEntries = 8, InnerMap = template };

        var (kernelTemplate, e1) = BpftoolMap.Create(fs, template);
        Assert.True(kernelTemplate is not null, Errno.Name(e1));
        var (kernelOuter, e2) = BpftoolMap.Create(fs, outerSpec, $"inner_map pinned {kernelTemplate!.PinPath}");
        Assert.True(kernelOuter is not null, Errno.Name(e2));

        var resolver = new TestResolver();
        using var vmOuter = VmMapFactory.Create(outerSpec, resolver, 2);
        var expected = new List<string>();
        var actual = new List<string>();
        for (uint i = 0; i < candidates.Length; i++)
        {
            var (kernelInner, e3) = BpftoolMap.Create(fs, candidates[i]);
            Assert.True(kernelInner is not null, Errno.Name(e3));
            expected.Add($"{candidates[i].Name}: {Errno.Name(kernelOuter!.UpdateWithMap(BitConverter.GetBytes(i), kernelInner!))}");

            var vmInner = VmMapFactory.Create(candidates[i], resolver, 2);
            int id = resolver.Register(vmInner);
            int errno = 0;
            try
            {
                vmOuter.Update(BitConverter.GetBytes(i), BitConverter.GetBytes(id));
            }
            catch (BpfMapException e)
            {
                errno = e.ErrorNumber;
            }
            actual.Add($"{candidates[i].Name}: {Errno.Name(errno)}");
        }
        Assert.Equal(expected, actual);
    }
}
