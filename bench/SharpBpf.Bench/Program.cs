using BenchmarkDotNet.Running;

if (args is ["kernel-compare", .. var rest])
    return KernelComparison.Run(rest);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

public partial class Program;
