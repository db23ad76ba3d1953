using SharpBpf.Cli;
using SharpBpf.Packets;
using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Agreement;

/// <summary>
/// The kernel is the authority: every test program, run by <c>prog run --engine kernel</c> and <c>--engine vm</c> (in
/// process, through the library's runners), must give the same document: return values, output packets, refusals (by
/// errno) and final maps (per-CPU maps on CPU 0 for both).
/// </summary>
public sealed class EngineAgreementTests
{
    public static TheoryData<string> Cases => new(TestProgramCases.All.Select(c => c.ToString()));

    /// <summary>The xdp-blacklist example's capture: ~200 varied frames (IPv6, ARP, VLAN, a truncated IPv4 frame).</summary>
    public static IReadOnlyList<byte[]> SampleCapture { get; } =
        PcapReader.Read(Path.Combine(TestPrograms.RepoRoot, "examples", "xdp-blacklist", "sample.pcap")).Select(p => p.Data).ToList();

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void VmAgreesWithKernelOnStandardInputs(string name)
    {
        Requirements.Kernel();
        AssertAgree(TestProgramCases.All.Single(x => x.ToString() == name));
    }

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void VmAgreesWithKernelOnSampleCapture(string name)
    {
        Requirements.Kernel();
        AssertAgree(TestProgramCases.All.Single(x => x.ToString() == name) with { Packets = SampleCapture });
    }

    /// <summary>ctx_in variants test_run accepts or refuses: (program file, name, context bytes).</summary>
    public static TheoryData<string, string, string> Contexts()
    {
        var data = new TheoryData<string, string, string>();
        int len = TestProgramCases.MixedFrames[0].Length;
        string Md(params uint[] fields) => Convert.ToHexString([.. fields.SelectMany(BitConverter.GetBytes)]);
        foreach (var (file, program) in new[] { ("xdp_counters.c", "xdp_counters"), ("xdp_rewrite.c", "xdp_rewrite") })
        {
            data.Add(file, program, Md(0, (uint)len, 0, 0, 0, 0));      // plain
            data.Add(file, program, Md(0, (uint)len, 0, 1, 0, 0));      // ingress lo, queue 0
            data.Add(file, program, Md(8, (uint)len, 0, 1, 0, 0));      // 8 bytes of metadata
            data.Add(file, program, Md(0, (uint)len, 0, 1, 1, 0));      // lo has no queue 1
            data.Add(file, program, Md(0, (uint)len, 0, 0, 3, 0));      // a queue without a device
            data.Add(file, program, Md(0, (uint)len + 1, 0, 0, 0, 0));  // data_end beyond the packet
            // Not compared: data_end < packet size, a multi-buffer packet for Linux 6.18; the VM refuses it (EOPNOTSUPP).
            data.Add(file, program, Md(6, (uint)len, 0, 0, 0, 0));      // metadata not a multiple of 4
            data.Add(file, program, Md(0, (uint)len, 0, 0, 0, 2));      // egress_ifindex
        }
        foreach (var (file, program) in new[] { ("tc_rewrite.c", "tc_rewrite"), ("socket_filter.c", "socket_filter") })
        {
            byte[] Skb(params (int Offset, uint Value)[] fields)
            {
                var skb = new byte[192];
                foreach (var (offset, value) in fields)
                    BitConverter.TryWriteBytes(skb.AsSpan(offset), value);
                return skb;
            }
            data.Add(file, program, Convert.ToHexString(Skb()));
            data.Add(file, program, Convert.ToHexString(Skb((8, 0x1234), (32, 7), (48, 1), (52, 2), (64, 5)))); // mark, priority, cb
            data.Add(file, program, Convert.ToHexString(Skb((160, 4000))));                                       // wire_len
            data.Add(file, program, Convert.ToHexString(Skb((160, 10))));                                         // wire_len < len
            data.Add(file, program, Convert.ToHexString(Skb((0, 5))));                                            // len: not settable
            data.Add(file, program, Convert.ToHexString(Skb((44, 3))));                                           // tc_index: not settable
        }
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Contexts))]
    public void VmAgreesWithKernelOnContextInput(string file, string program, string contextHex)
    {
        Requirements.Kernel();
        var c = TestProgramCases.All.Single(x => x.File == file && x.Program == program);
        var request = EngineAgreement.Request(c with { Packets = [TestProgramCases.MixedFrames[0]] }) with { ContextIn = Convert.FromHexString(contextHex) };
        var kernel = EngineAgreement.Comparable(ProgramRunOutput.Document(EngineAgreement.RunKernel(request), withContext: true));
        var vm = EngineAgreement.Comparable(ProgramRunOutput.Document(EngineAgreement.RunVm(request), withContext: true));
        Assert.True(kernel == vm, EngineAgreement.Difference(kernel, vm));
    }

    private static void AssertAgree(TestProgramCase c)
    {
        var request = EngineAgreement.Request(c);
        var kernel = EngineAgreement.Comparable(EngineAgreement.RunKernel(request));
        var vm = EngineAgreement.Comparable(EngineAgreement.RunVm(request));
        Assert.True(kernel == vm, EngineAgreement.Difference(kernel, vm));
    }
}
