using BenchmarkDotNet.Running;

// Comparison modes print ratios against a reference measured in the same run; anything else goes to BenchmarkDotNet.
if (args is ["kernel-compare", .. var kernelArgs])
    return KernelComparison.Run(kernelArgs);
if (args is ["load-profile", .. var profileArgs])
    return LoadProfile.Run(profileArgs);
if (args is ["vm-kernel", .. var vmArgs])
    return SharpBpf.Bench.VmKernelComparison.Run(vmArgs);
if (args is ["jit-proofs", .. var proofArgs])
    return SharpBpf.Bench.JitProofsComparison.Run(proofArgs);
if (args is ["vm-load", .. var vmLoadArgs])
    return SharpBpf.Bench.VmLoadCost.Run(vmLoadArgs);
if (args is ["verifier-kernel", .. var verifierArgs])
    return SharpBpf.Bench.VerifierKernelComparison.Run(verifierArgs);
if (args is ["whole-run", .. var wholeArgs])
    return SharpBpf.Bench.WholeRunComparison.Run(wholeArgs);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

public partial class Program;
