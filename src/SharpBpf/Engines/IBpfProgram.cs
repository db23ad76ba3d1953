namespace SharpBpf;

/// <summary>A loaded program, in either engine.</summary>
public interface IBpfProgram
{
    string Name { get; }
    BpfProgramType Type { get; }

    /// <summary>Runs the program as BPF_PROG_TEST_RUN does: on a packet for XDP and skb programs, with a context where
    /// the program type takes one. An input the engine refuses throws.</summary>
    RunResult Run(RunInput input);
}

/// <summary>Shorthands on top of <see cref="IBpfProgram"/>.</summary>
public static class BpfProgramExtensions
{
    /// <summary>Runs on a packet (XDP, tc, socket filter) or on memory (other types), with <paramref name="context"/> as
    /// ctx_in when given, <paramref name="repeat"/> times.</summary>
    public static RunResult Run(this IBpfProgram program, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte>? context = null, int repeat = 1)
    {
        ArgumentNullException.ThrowIfNull(program);
        return program.Run(new RunInput { Data = data, Context = context, Repeat = repeat });
    }
}
