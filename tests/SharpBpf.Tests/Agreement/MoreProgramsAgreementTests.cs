using System.Buffers.Binary;
using SharpBpf.Objects;
using SharpBpf.Running;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Agreement;

/// <summary>
/// The other packet programs under tests/programs/ (written for the VM, kernel and object tests, without standard
/// inputs of their own): every XDP, tc and socket-filter program of each, on the sample capture followed by seeded
/// malformed frames, must give the same document on both engines.
/// </summary>
public sealed class MoreProgramsAgreementTests
{
    public static TheoryData<string> Files => new(
    [
        "vm_features.c", "vm_tc.c", "vm_xdp_count.c", "kernel_counter.c", "kernel_btf_values.c", "obj_btf_maps.c",
        "obj_legacy_maps.c", "obj_subprogs.c", "btf_edge_types.c", "btf_rich_types.c",
    ]);

    [SkippableTheory]
    [MemberData(nameof(Files))]
    public void EveryPacketProgramAgrees(string file)
    {
        Requirements.Kernel();
        var obj = TestPrograms.Compile(file);
        var programs = ObjectSpec.Load(obj).Programs
            .Where(p => p.Autoload && p.Type is BpfProgramType.Xdp or BpfProgramType.SchedCls or BpfProgramType.SchedAct or BpfProgramType.SocketFilter)
            .Select(p => p.Name).ToList();
        Assert.NotEmpty(programs);
        var inputs = EngineAgreementTests.SampleCapture.Concat(MalformedFrames(seed: file.Length, count: 150)).Select(p => (ReadOnlyMemory<byte>)p).ToList();
        foreach (var program in programs)
        {
            var request = new ProgramRunRequest { Target = obj, ProgramName = program, Inputs = inputs };
            var kernel = EngineAgreement.Comparable(EngineAgreement.RunKernel(request));
            var vm = EngineAgreement.Comparable(EngineAgreement.RunVm(request));
            Assert.True(kernel == vm, $"{file}:{program}: {EngineAgreement.Difference(kernel, vm)}");
        }
    }

    /// <summary>
    /// Frames of awkward sizes (14 bytes up to a full MTU) with random bytes, mostly IPv4 with odd header lengths and
    /// protocols, some IPv6, VLAN, QinQ and ARP: where parsers and test_run's own checks (too short for an IP header) bite.
    /// </summary>
    public static IEnumerable<byte[]> MalformedFrames(int seed, int count)
    {
        var random = new Random(seed);
        int[] sizes = [14, 15, 20, 30, 33, 34, 35, 38, 40, 41, 42, 54, 60, 64, 100, 128, 200, 600, 1500, 1514];
        ushort[] types = [0x0800, 0x0800, 0x0800, 0x86dd, 0x8100, 0x88a8, 0x0806];
        for (int i = 0; i < count; i++)
        {
            var frame = new byte[random.Next(3) == 0 ? random.Next(14, 300) : sizes[random.Next(sizes.Length)]];
            random.NextBytes(frame);
            ushort type = random.Next(8) == 0 ? (ushort)random.Next(0x10000) : types[random.Next(types.Length)];
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), type);
            if (type == 0x0800 && frame.Length >= 34)
            {
                frame[14] = (byte)(new[] { 0x45, 0x45, 0x46, 0x4f, 0x44, 0x55 }[random.Next(6)]);
                frame[23] = (byte)(new[] { 6, 17, 1, random.Next(256) }[random.Next(4)]);
            }
            if (type is 0x8100 or 0x88a8 && frame.Length >= 18)
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), new ushort[] { 0x0800, 0x8100, 0x86dd }[random.Next(3)]);
            yield return frame;
        }
    }
}
