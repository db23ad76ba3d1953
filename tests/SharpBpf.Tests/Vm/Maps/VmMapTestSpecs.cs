using SharpBpf.Objects;
using SharpBpf.Vm;
using SharpBpf.Vm.Maps;

namespace SharpBpf.Tests.Vm.Maps;

internal static class VmMapTestSpecs
{
    public static MapSpec Spec(BpfMapType type, int key, int value, int entries, uint flags = 0) =>
        new() { Name = "t_" + type, Type = type, KeySize = key, ValueSize = value, MaxEntries = entries, Flags = flags };

    public static IVmMap Create(BpfMapType type, int key, int value, int entries, uint flags = 0, int cpus = 2, TestResolver? resolver = null) =>
        VmMapFactory.Create(Spec(type, key, value, entries, flags), resolver ?? new TestResolver(), cpus);

    public static byte[] U32(uint v) => BitConverter.GetBytes(v);
    public static byte[] U64(ulong v) => BitConverter.GetBytes(v);
}
