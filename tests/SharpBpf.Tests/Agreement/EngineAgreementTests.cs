using SharpBpf.Tests.Support;

namespace SharpBpf.Tests.Agreement;

/// <summary>
/// The kernel is the authority: every test program, run on its standard inputs by <c>prog run --engine kernel</c> and
/// <c>--engine vm</c> (in process, through the library's runners), must give the same document: return values, output
/// packets and final maps (per-CPU maps on CPU 0 for both).
/// </summary>
public sealed class EngineAgreementTests
{
    public static TheoryData<string> Cases => new(TestProgramCases.All.Select(c => c.ToString()));

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void VmAgreesWithKernel(string name)
    {
        Requirements.Kernel();
        var c = TestProgramCases.All.Single(x => x.ToString() == name);
        var request = EngineAgreement.Request(c);
        var kernel = EngineAgreement.Comparable(EngineAgreement.RunKernel(request));
        var vm = EngineAgreement.Comparable(EngineAgreement.RunVm(request));
        Assert.True(kernel == vm, EngineAgreement.Difference(kernel, vm));
    }
}
