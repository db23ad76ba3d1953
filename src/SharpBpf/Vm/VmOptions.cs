namespace SharpBpf.Vm;

/// <summary>How a <see cref="VmEngine"/> runs programs.</summary>
public sealed record VmOptions
{
    /// <summary>The default instruction budget: ten million instructions per run (far more than a verified program without
    /// loop helpers can execute, few enough to stop a runaway loop within a fraction of a second).</summary>
    public const long DefaultInstructionBudget = 10_000_000;

    /// <summary>
    /// Instructions one run may execute (callbacks and tail calls included) before it stops with a <see cref="VmFault"/>.
    /// Charged where loops close: each taken backward jump costs the length of the loop body it closes, each callback
    /// invocation one; straight-line code (at most the program's length) is free, so the check stays off the hot path.
    /// </summary>
    public long InstructionBudget { get; init; } = DefaultInstructionBudget;

    /// <summary>Possible CPUs: how many value copies per-CPU maps keep.</summary>
    public int CpuCount { get; init; } = Environment.ProcessorCount;

    /// <summary>The CPU a run pretends to execute on (<c>bpf_get_smp_processor_id</c>, per-CPU map copies).</summary>
    public int CurrentCpu { get; init; }

    /// <summary>Where <c>bpf_trace_printk</c> lines go (without trailing newline). Null discards them.</summary>
    public Action<string>? TraceSink { get; init; }

    /// <summary>The helpers programs may call. Null: <see cref="VmHelperTable.CreateDefault"/>.</summary>
    public VmHelperTable? Helpers { get; init; }

    /// <summary>Compile programs to native code (eBPF → CIL → RyuJIT) instead of interpreting them. On by default where the
    /// runtime can compile dynamic code; the interpreter runs them otherwise (NativeAOT) or when this is false.</summary>
    public bool UseJit { get; init; } = System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported
        && System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeCompiled;

    /// <summary>Seed for <c>bpf_get_prandom_u32</c>; null seeds from the system.</summary>
    public int? RandomSeed { get; init; }

    /// <summary>
    /// The BTF that CO-RE relocations of loaded objects resolve against: the layout of the structures the program will
    /// really see (e.g. built with <see cref="Btf.BtfSpec"/>, or a kernel's BTF). Null: programs run with the values the
    /// compiler derived from their own headers, unrelocated (the VM has no kernel whose layout could differ).
    /// Unresolvable relocations poison their instruction; a run that reaches one faults naming the relocation.
    /// </summary>
    public Btf.BtfSpec? TargetBtf { get; init; }

    /// <summary>The default <see cref="MaxJitInstructions"/>.</summary>
    public const int DefaultMaxJitInstructions = 65_536;

    /// <summary>
    /// The longest program (in instruction slots) the JIT compiles; longer ones run in the interpreter, which loads any
    /// length in time and memory proportional to it (compiling grows faster: a million instructions would take minutes and
    /// gigabytes). Raise it to compile larger programs.
    /// </summary>
    public int MaxJitInstructions { get; init; } = DefaultMaxJitInstructions;

    /// <summary>The default <see cref="MaxInstructions"/>: the kernel's BPF_COMPLEXITY_LIMIT_INSNS.</summary>
    public const int DefaultMaxInstructions = 1_000_000;

    /// <summary>The longest program the engine loads, in instruction slots; longer ones fail to load.</summary>
    public int MaxInstructions { get; init; } = DefaultMaxInstructions;

    /// <summary>The default <see cref="MaxMapMemory"/>: 1 GiB.</summary>
    public const long DefaultMaxMapMemory = 1L << 30;

    /// <summary>
    /// The native and managed memory all maps of the engine may take together, counting values, keys and every index
    /// structure (maps preallocate it at creation). Creating a map beyond it fails with ENOMEM naming this option.
    /// </summary>
    public long MaxMapMemory { get; init; } = DefaultMaxMapMemory;

    /// <summary>The interfaces, routes and neighbours <c>bpf_fib_lookup</c> consults. Null: <see cref="VmFibTable.Loopback"/>.</summary>
    public VmFibTable? Fib { get; init; }

    /// <summary>
    /// Prove every program safe with the static verifier (<see cref="Verifier.StaticVerifier"/>) when it loads, as the
    /// kernel does, and refuse one it rejects with a <see cref="Verifier.BpfStaticVerifierException"/> (the kernel's words,
    /// the C source line, a hint). On by default. Turn it off to run programs the kernel would refuse and rely on the
    /// runtime bounds checks alone (the conformance plugin, fuzzing of the runtime checks); the JIT then keeps every check.
    /// </summary>
    public bool VerifyBeforeLoad { get; init; } = true;
}
