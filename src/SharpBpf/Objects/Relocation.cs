namespace SharpBpf.Objects;

/// <summary>
/// What an instruction of a program refers to outside itself, as abstract records that each engine resolves
/// its own way (a kernel map fd, a VM map address). <see cref="InstructionIndex"/> counts 8-byte slots from the
/// start of the program's instructions.
/// </summary>
public abstract record Relocation(int InstructionIndex);

/// <summary><c>ld_imm64 rX, map</c>: load the map itself (the kernel's BPF_PSEUDO_MAP_FD).</summary>
public sealed record MapReference(int InstructionIndex, string MapName) : Relocation(InstructionIndex);

/// <summary><c>ld_imm64 rX, &amp;var</c>: the address of byte <see cref="Offset"/> of the map's value (BPF_PSEUDO_MAP_VALUE), used for global data.</summary>
public sealed record MapValueReference(int InstructionIndex, string MapName, int Offset) : Relocation(InstructionIndex);

/// <summary>A bpf-to-bpf call (or <c>ld_imm64</c> of a function address) to the function <see cref="Target"/> at
/// <see cref="TargetOffset"/> instructions into its section.</summary>
public sealed record SubprogramCall(int InstructionIndex, string Target, string TargetSection, int TargetOffset, bool IsAddressLoad)
    : Relocation(InstructionIndex);

/// <summary>A reference to an extern <c>__kconfig</c> variable, resolved into the .kconfig map at <see cref="Offset"/>.</summary>
public sealed record KconfigReference(int InstructionIndex, string Symbol, int Offset) : Relocation(InstructionIndex);

/// <summary>A call to an extern kernel function (kfunc) by name.</summary>
public sealed record KfuncCall(int InstructionIndex, string Function) : Relocation(InstructionIndex);

/// <summary><c>ld_imm64</c> of an extern <c>__ksym</c> variable: the address (or BTF id) of a kernel symbol.</summary>
public sealed record KsymReference(int InstructionIndex, string Symbol) : Relocation(InstructionIndex);
