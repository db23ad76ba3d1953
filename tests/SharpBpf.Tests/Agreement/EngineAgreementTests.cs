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

    private static void AssertAgree(TestProgramCase c)
    {
        var request = EngineAgreement.Request(c);
        var kernel = EngineAgreement.Comparable(EngineAgreement.RunKernel(request));
        var vm = EngineAgreement.Comparable(EngineAgreement.RunVm(request));
        Assert.True(kernel == vm, EngineAgreement.Difference(kernel, vm));
    }
}
