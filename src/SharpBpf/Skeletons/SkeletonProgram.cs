using SharpBpf.Linux;
using SharpBpf.Vm;

namespace SharpBpf.Skeletons;

/// <summary>A loaded program of a skeleton, in whichever engine loaded it.</summary>
public sealed class SkeletonProgram
{
    internal SkeletonProgram(VmProgram program)
    {
        Vm = program;
        Name = program.Name;
        Type = program.Type;
    }

    internal SkeletonProgram(KernelProgram program)
    {
        Kernel = program;
        Name = program.Name;
        Type = program.Type;
    }

    public string Name { get; }
    public BpfProgramType Type { get; }

    /// <summary>The VM program when the skeleton was loaded in the VM, else null.</summary>
    public VmProgram? Vm { get; }

    /// <summary>The kernel program when the skeleton was loaded in the kernel, else null.</summary>
    public KernelProgram? Kernel { get; }

    /// <summary>
    /// Runs the program once (or <paramref name="repeat"/> times) as BPF_PROG_TEST_RUN does: on a packet for XDP and
    /// skb programs, with <paramref name="context"/> as ctx_in where the program type takes one.
    /// </summary>
    public RunResult Run(ReadOnlyMemory<byte> data, ReadOnlyMemory<byte>? context = null, int repeat = 1) =>
        ((IBpfProgram?)Vm ?? Kernel!).Run(data, context, repeat);

    public override string ToString() => $"{Name} ({BpfNames.ProgramType(Type)}, {(Vm is not null ? "vm" : "kernel")})";
}
