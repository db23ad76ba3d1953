namespace SharpBpf.Cbpf;

/// <summary>A validated classic filter, ready to run over packets.</summary>
public sealed class CbpfFilter
{
    private readonly CbpfInstruction[] _program;

    public CbpfFilter(IReadOnlyList<CbpfInstruction> program)
    {
        ArgumentNullException.ThrowIfNull(program);
        _program = [.. program];
        CbpfValidator.Validate(_program);
    }

    public IReadOnlyList<CbpfInstruction> Program => _program;

    /// <summary>The verdict: 0 drops, otherwise how many bytes to keep.</summary>
    public uint Run(ReadOnlySpan<byte> data, uint wireLength) => CbpfInterpreter.Run(_program, data, wireLength);

    public bool Matches(ReadOnlySpan<byte> data, uint wireLength) => Run(data, wireLength) != 0;
}
