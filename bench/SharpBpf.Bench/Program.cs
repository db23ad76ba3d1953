using BenchmarkDotNet.Running;

if (args.Length > 0 && args[0] == "vm-kernel")
    return SharpBpf.Bench.VmKernelComparison.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

public partial class Program;
