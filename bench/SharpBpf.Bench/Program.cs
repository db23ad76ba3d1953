using BenchmarkDotNet.Running;

if (args is ["kernel-compare", .. var rest])
    return KernelComparison.Run(rest);
if (args is ["load-profile", .. var profileArgs])
    return LoadProfile.Run(profileArgs);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

public partial class Program;
