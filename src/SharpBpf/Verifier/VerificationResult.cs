namespace SharpBpf.Verifier;

/// <summary>The verdict on one program, with the log in the kernel's format.</summary>
public sealed class VerificationResult
{
    public required string Program { get; init; }
    public bool Accepted => Error is null;
    /// <summary>The kernel's words for the first violation found (<c>R1 invalid mem access 'scalar'</c>), or null.</summary>
    public string? Error { get; init; }
    /// <summary>The instruction that failed, or -1.</summary>
    public int ErrorInstruction { get; init; } = -1;
    /// <summary>The C source line of the failing instruction from .BTF.ext (<c>xdp.c:31: if (ip->protocol ...)</c>), or null.</summary>
    public string? SourceLine { get; init; }
    /// <summary>One sentence on the usual fix, or null.</summary>
    public string? Hint { get; init; }
    /// <summary>The log: the failing path's instructions (level 1) or every instruction with its state (level 2), then the counts.</summary>
    public required string Log { get; init; }
    public int ProcessedInstructions { get; init; }
    public int TotalStates { get; init; }
    public int PeakStates { get; init; }
    public int MaxStatesPerInstruction { get; init; }
    public TimeSpan Elapsed { get; init; }
}

/// <summary>Thrown by the VM (<see cref="Vm.VmOptions.VerifyBeforeLoad"/>) for a program the static verifier rejects: the
/// kernel's words, the instruction, the C source line and a hint; <see cref="Result"/> has the whole log.</summary>
public sealed class BpfStaticVerifierException(VerificationResult result, string? detail = null)
    : BpfException($"program '{result.Program}': the static verifier rejected it: {result.Error} (insn {result.ErrorInstruction})"
        + (detail is null ? "" : $" ({detail})")
        + (result.SourceLine is null ? "" : $"\nat {result.SourceLine}") + (result.Hint is null ? "" : $"\nhint: {result.Hint}"))
{
    public VerificationResult Result { get; } = result;
}

/// <summary>Options of a verification.</summary>
public sealed class VerifierOptions
{
    /// <summary>0: counts only; 1: the failing path; 2: every instruction with the registers it changed.</summary>
    public int LogLevel { get; init; } = 1;
    /// <summary>The kernel's BPF_COMPLEXITY_LIMIT_INSNS.</summary>
    public int ComplexityLimit { get; init; } = 1_000_000;
}
