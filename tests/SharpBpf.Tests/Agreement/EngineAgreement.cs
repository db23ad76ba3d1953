using SharpBpf.Cli;
using System.Text.RegularExpressions;
using SharpBpf.Linux;
using SharpBpf.Running;
using SharpBpf.Tests.Support;
using SharpBpf.Vm;

namespace SharpBpf.Tests.Agreement;

/// <summary>Runs a test program case on both engines and gives the <c>prog run --json</c> documents to compare.</summary>
public static partial class EngineAgreement
{
    public static ProgramRunRequest Request(TestProgramCase c) => new()
    {
        Target = TestPrograms.Compile(c.File),
        ProgramName = c.Program,
        Inputs = c.Packets.Select(p => (ReadOnlyMemory<byte>)p).ToList(),
    };

    /// <summary>Runs in a fresh VM whose per-CPU maps have this machine's possible CPUs, as the kernel's.</summary>
    public static ProgramRunReport RunVm(ProgramRunRequest request)
    {
        using var vm = new VmEngine(ProgramRunner.VmOptionsForThisMachine());
        return new ProgramRunner(vm).Run(request);
    }

    public static ProgramRunReport RunKernel(ProgramRunRequest request) => new ProgramRunner(new KernelEngine()).Run(request);

    /// <summary>
    /// The document with each run error reduced to its errno name: the engines word their refusals differently
    /// ("bpf(BPF_PROG_TEST_RUN) failed: Invalid argument (EINVAL)" / "test run input rejected: ... (EINVAL, ...)").
    /// </summary>
    public static string Comparable(string document) =>
        ErrorText().Replace(document, m =>
        {
            var errno = Errno().Match(m.Groups[1].Value);
            return $"\"error\":\"{(errno.Success ? errno.Groups[1].Value : "?")}\"";
        });

    public static string Comparable(ProgramRunReport result) => Comparable(ProgramRunOutput.Document(result));

    /// <summary>The first difference, for a failure message a person can read.</summary>
    public static string Difference(string kernel, string vm)
    {
        int i = 0;
        while (i < kernel.Length && i < vm.Length && kernel[i] == vm[i])
            i++;
        int from = Math.Max(0, i - 120);
        return $"first difference at character {i}:\n kernel: ...{kernel[from..Math.Min(kernel.Length, i + 120)]}\n vm:     ...{vm[from..Math.Min(vm.Length, i + 120)]}";
    }

    [GeneratedRegex("\"error\":\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex ErrorText();

    [GeneratedRegex(@"\b(E[A-Z0-9]{2,})\b")]
    private static partial Regex Errno();
}
