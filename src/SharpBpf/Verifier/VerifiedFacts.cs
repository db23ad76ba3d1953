namespace SharpBpf.Verifier;

/// <summary>
/// What a successful verification proved about each load and store, for the JIT: the kinds of pointer the instruction
/// accessed through on every path the verifier explored, each access inside its region. An instruction proven to touch
/// only the stack, the packet (between data and data_end) or map values needs no runtime bounds check.
/// </summary>
internal sealed class VerifiedFacts
{
    [Flags]
    public enum Access : byte
    {
        None = 0,
        Stack = 1,
        Packet = 2,
        MapValue = 4,
        /// <summary>Anything else (context, helper memory, ring buffer records, kernel pointers): the VM keeps its check.</summary>
        Other = 8,
    }

    private readonly Access[] _access;

    public VerifiedFacts(int length) => _access = new Access[length];

    /// <summary>The pointer kinds the instruction at <paramref name="pc"/> accessed memory through (None: never reached).</summary>
    public Access At(int pc) => (uint)pc < (uint)_access.Length ? _access[pc] : Access.None;

    internal void Note(int pc, Access kind) => _access[pc] |= kind;
}
